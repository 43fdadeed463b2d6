#ifndef GC_TESTS_PROMETHEUS_H
#define GC_TESTS_PROMETHEUS_H

/*
 * A real Prometheus (Debian's /usr/bin/prometheus) for integration tests:
 * started on a free 127.0.0.1 port with a generated configuration that
 * scrapes the given targets (job "test"), storage in a temporary
 * directory, killed and cleaned up by gc_test_prom_stop (and killed when
 * the process that started it dies).
 */

typedef struct gc_test_prom gc_test_prom;

/*
 * targets: NULL-terminated "host:port" list; interval: scrape interval such
 * as "1s"; extra_args: NULL-terminated extra command-line flags or NULL.
 * Waits for /-/ready; aborts the test when Prometheus does not start.
 */
gc_test_prom *gc_test_prom_start(const char *const *targets,
				 const char *interval,
				 const char *const *extra_args);
void gc_test_prom_stop(gc_test_prom *p);
/* "http://127.0.0.1:<port>"; borrowed. */
const char *gc_test_prom_url(const gc_test_prom *p);
/*
 * Polls the query until it returns a non-empty vector whose last value is
 * not NaN; 0 when it did within timeout_s, -1 otherwise.
 */
int gc_test_prom_wait_query(const gc_test_prom *p, const char *query,
			    int timeout_s);
/* Waits until every target has been scraped successfully once. */
int gc_test_prom_wait_scraped(const gc_test_prom *p, int timeout_s);
/*
 * GET path on 127.0.0.1:port over a plain socket; returns the HTTP status
 * (body into out when non-NULL) or -1 when the connection failed.
 */
int gc_test_http_get(unsigned short port, const char *path, void *out);

#endif
