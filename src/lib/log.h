/*
 * log.h - logging.
 *
 * One line per event on stderr (or a file set with log_open), prefixed with a UTC timestamp,
 * the level and the subsystem. Callers put the identity of the thing in the message
 * ("vpn-0abc... tunnel 1 (203.0.113.5): ..."). Thread-safe: each line is one write().
 *
 * Structured records (tunnel logs the users see) go through log_record(): a sink registered
 * with log_set_record_sink() receives them as key/value pairs; without a sink they are written
 * as a text line.
 *
 * Anything on a packet path uses a struct log_ratelimit so a flood cannot flood the log.
 */
#ifndef GH_LIB_LOG_H
#define GH_LIB_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level {
	LOG_ERR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parse "err", "warn", "info", "debug"; false when unknown. */
bool log_level_parse(const char *s, enum log_level *out);
/* Append to a file instead of stderr; false on failure (stderr is kept). */
bool log_open(const char *path);

void log_msg(enum log_level level, const char *subsys, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_err(subsys, ...) log_msg(LOG_ERR, subsys, __VA_ARGS__)
#define log_warn(subsys, ...) log_msg(LOG_WARN, subsys, __VA_ARGS__)
#define log_info(subsys, ...) log_msg(LOG_INFO, subsys, __VA_ARGS__)
#define log_debug(subsys, ...)                                                                     \
	do {                                                                                       \
		if (log_get_level() >= LOG_DEBUG)                                                  \
			log_msg(LOG_DEBUG, subsys, __VA_ARGS__);                                   \
	} while (0)

/* A token bucket: at most `burst` lines, refilled at `per_sec` a second. */
struct log_ratelimit {
	uint32_t per_sec;
	uint32_t burst;
	uint32_t tokens;
	uint32_t suppressed;
	uint64_t last_ms;
};

#define LOG_RATELIMIT_INIT(per_sec, burst) {(per_sec), (burst), (burst), 0, 0}

/* True when a line may be written now; counts the ones that may not. */
bool log_ratelimit_ok(struct log_ratelimit *rl);

/* A structured record: NULL-terminated key/value pairs after `event`. */
struct log_field {
	const char *key;
	const char *value;
};
typedef void (*log_record_sink)(void *arg, const char *event, const struct log_field *fields,
				unsigned nfields);
void log_set_record_sink(log_record_sink sink, void *arg);
void log_record(const char *event, const struct log_field *fields, unsigned nfields);

#endif
