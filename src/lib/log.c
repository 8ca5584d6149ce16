#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

static enum log_level log_level = LOG_INFO;
static int log_fd = 2;
static log_record_sink log_sink;
static void *log_sink_arg;

static const char *const log_level_names[] = {"err", "warn", "info", "debug"};

void log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level log_get_level(void)
{
	return log_level;
}

bool log_level_parse(const char *s, enum log_level *out)
{
	for (unsigned i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++) {
		if (strcmp(s, log_level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}

bool log_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

	if (fd < 0)
		return false;
	if (log_fd > 2)
		close(log_fd);
	log_fd = fd;
	return true;
}

static void log_write_line(const char *line, size_t len)
{
	while (len > 0) {
		ssize_t n = write(log_fd, line, len);

		if (n <= 0)
			return;
		line += n;
		len -= (size_t)n;
	}
}

static size_t log_prefix(char *buf, size_t cap, enum log_level level, const char *subsys)
{
	struct timespec ts;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: ", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     ts.tv_nsec / 1000000, log_level_names[level], subsys);
	return n < 0 ? 0 : ((size_t)n >= cap ? cap - 1 : (size_t)n);
}

void log_msg(enum log_level level, const char *subsys, const char *fmt, ...)
{
	char line[2048];
	size_t n;
	va_list ap;
	int m;

	if (level > log_level)
		return;
	n = log_prefix(line, sizeof(line), level, subsys);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (m > 0)
		n += (size_t)m >= sizeof(line) - n - 1 ? sizeof(line) - n - 2 : (size_t)m;
	line[n++] = '\n';
	log_write_line(line, n);
}

bool log_ratelimit_ok(struct log_ratelimit *rl)
{
	uint64_t now = clock_mono_ms();
	uint64_t refill;

	if (rl->last_ms == 0)
		rl->last_ms = now;
	refill = (now - rl->last_ms) * rl->per_sec / 1000;
	if (refill > 0) {
		rl->tokens = (uint32_t)((rl->tokens + refill > rl->burst) ? rl->burst
									 : rl->tokens + refill);
		rl->last_ms = now;
	}
	if (rl->tokens == 0) {
		rl->suppressed++;
		return false;
	}
	rl->tokens--;
	return true;
}

void log_set_record_sink(log_record_sink sink, void *arg)
{
	log_sink = sink;
	log_sink_arg = arg;
}

void log_record(const char *event, const struct log_field *fields, unsigned nfields)
{
	char line[2048];
	size_t n;

	if (log_sink) {
		log_sink(log_sink_arg, event, fields, nfields);
		return;
	}
	n = log_prefix(line, sizeof(line), LOG_INFO, "event");
	n += (size_t)snprintf(line + n, sizeof(line) - n, "%s", event);
	for (unsigned i = 0; i < nfields && n < sizeof(line) - 2; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=\"%s\"", fields[i].key,
				      fields[i].value);
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	log_write_line(line, n);
}
