/*
 * engine/runner.c - what gatehoused needs to run from a configuration file: load it, set the
 * log level, start the engine, and on SIGHUP re-read it and apply the difference. A file with
 * problems is refused as a whole (every problem logged with file:line) and the running
 * configuration stays in force (validate -> diff -> apply).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "lib/log.h"

struct engine_runner {
	struct ev_loop *loop;
	char path[CONF_PATH_MAX];
	struct conf *conf; /* in force */
	struct engine *engine;
	struct ev_signal hup;
	engine_runner_compose_fn compose; /* NULL: the file alone */
	void *compose_arg;
};

void engine_runner_set_compose(struct engine_runner *r, engine_runner_compose_fn fn, void *arg)
{
	r->compose = fn;
	r->compose_arg = arg;
}

static result_t load(struct engine_runner *r, struct conf **out)
{
	struct conf_diags *d = calloc(1, sizeof(*d));
	result_t rc;

	if (!d)
		return E_NOMEM;
	rc = conf_parse_file(r->path, out, d);
	for (size_t i = 0; i < d->n; i++)
		log_err("conf", "%s:%u: %s", d->file, d->v[i].line, d->v[i].msg);
	if (d->dropped)
		log_err("conf", "%s: %zu more problems", d->file, d->dropped);
	free(d);
	if (rc == E_OK && (*out)->has_log_level)
		log_set_level((*out)->log_level);
	return rc;
}

RESULT engine_runner_reload(struct engine_runner *r)
{
	struct conf *c = NULL;
	result_t rc = load(r, &c);

	if (rc != E_OK) {
		log_err("conf", "%s: not applied, the running configuration stays", r->path);
		return rc;
	}
	/* The desired state is the file plus whatever the composer adds (the API's tunnels):
	 * applying the file alone would stop those, and only to start them again. */
	if (r->compose) {
		struct conf *desired = NULL;

		rc = r->compose(r->compose_arg, c, &desired);
		if (rc != E_OK) {
			log_err("conf", "%s: not applied (%s), the running configuration stays",
			        r->path, err_msg(rc));
			conf_free(c);
			return rc;
		}
		conf_free(r->conf);
		r->conf = c;
		rc = engine_apply(r->engine, desired);
		conf_free(desired);
		return rc;
	}
	rc = engine_apply(r->engine, c);
	conf_free(r->conf);
	r->conf = c;
	return rc;
}

static void on_hup(struct ev_signal *s)
{
	struct engine_runner *r = s->arg;

	log_info("conf", "SIGHUP: re-reading %s", r->path);
	if (engine_runner_reload(r) != E_OK)
		log_warn("conf", "reload of %s incomplete", r->path);
}

RESULT engine_runner_start_conf(struct ev_loop *loop, const char *path, struct conf *c,
                                const struct engine_options *opt, struct engine_runner **out)
{
	struct engine_runner *r = calloc(1, sizeof(*r));
	size_t n = strlen(path);
	result_t rc;

	*out = NULL;
	if (!r || n >= sizeof(r->path)) {
		free(r);
		conf_free(c);
		return r ? E_INVAL : E_NOMEM;
	}
	memcpy(r->path, path, n + 1);
	r->loop = loop;
	r->conf = c;
	if (c->has_log_level)
		log_set_level(c->log_level);
	/* Block SIGHUP before the data plane starts its threads: they inherit the mask, so the
	 * signal reaches the loop's signalfd instead of killing the process in a worker. */
	rc = ev_signal_add(loop, &r->hup, SIGHUP, on_hup, r);
	if (rc == E_OK)
		rc = engine_new(loop, opt, r->conf, &r->engine);
	if (rc != E_OK) {
		engine_runner_free(r);
		return rc;
	}
	*out = r;
	return E_OK;
}

RESULT engine_runner_start(struct ev_loop *loop, const char *path, const struct engine_options *opt,
                           struct engine_runner **out)
{
	struct engine_runner tmp = {0};
	struct conf *c = NULL;
	size_t n = strlen(path);

	*out = NULL;
	if (n >= sizeof(tmp.path))
		return E_INVAL;
	memcpy(tmp.path, path, n + 1);
	GUARD(load(&tmp, &c));
	return engine_runner_start_conf(loop, path, c, opt, out);
}

const struct conf *engine_runner_conf(const struct engine_runner *r)
{
	return r->conf;
}

struct engine *engine_runner_engine(struct engine_runner *r)
{
	return r->engine;
}

void engine_runner_free(struct engine_runner *r)
{
	if (!r)
		return;
	engine_free(r->engine);
	conf_free(r->conf);
	free(r);
}
