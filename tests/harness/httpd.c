#include "httpd.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/alloc.h"

struct gc_httpd {
	struct MHD_Daemon *d;
	gc_httpd_fn fn;
	void *payload;
	unsigned short port;
	unsigned count;
	char *cert, *key; /* PEM, TLS only */
};

typedef struct conn {
	gc_buf body;
} conn;

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	gc_httpd *h = cls;
	conn *st = *con_cls;
	gc_httpd_request req;
	gc_httpd_response resp;
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)version;
	if (!st) {
		st = gc_xcalloc(1, sizeof(*st));
		gc_buf_init(&st->body);
		*con_cls = st;
		return MHD_YES;
	}
	if (*upload_size) {
		gc_buf_add(&st->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	__atomic_add_fetch(&h->count, 1, __ATOMIC_SEQ_CST);
	req.method = method;
	req.path = url;
	req.body = st->body.ptr;
	req.body_len = st->body.len;
	req.priv = c;
	resp.status = 200;
	gc_buf_init(&resp.body);
	resp.content_type = "text/plain";
	resp.delay_ms = 0;
	resp.retry_after = NULL;
	resp.location = NULL;
	h->fn(&req, &resp, h->payload);
	if (resp.delay_ms) {
		struct timespec ts = { resp.delay_ms / 1000,
				       (long)(resp.delay_ms % 1000) *
					       1000000L };
		nanosleep(&ts, NULL);
	}
	r = MHD_create_response_from_buffer(resp.body.len, resp.body.ptr,
					    MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", resp.content_type);
	if (resp.retry_after)
		MHD_add_response_header(r, "Retry-After", resp.retry_after);
	if (resp.location)
		MHD_add_response_header(r, "Location", resp.location);
	ret = MHD_queue_response(c, resp.status, r);
	MHD_destroy_response(r);
	gc_buf_release(&resp.body);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	conn *st = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (st) {
		gc_buf_release(&st->body);
		free(st);
		*con_cls = NULL;
	}
}

static char *bio_string(BIO *bio)
{
	char *data = NULL;
	long n = BIO_get_mem_data(bio, &data);
	char *out = gc_xstrndup(data, (size_t)n);

	BIO_free(bio);
	return out;
}

/* A self-signed P-256 certificate for CN 127.0.0.1, valid for an hour. */
static void make_cert(gc_httpd *h)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());

	if (!pkey || !x || !cb || !kb)
		abort();
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pkey);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)"127.0.0.1", -1, -1,
				   0);
	X509_set_issuer_name(x, name);
	if (!X509_sign(x, pkey, EVP_sha256()) || !PEM_write_bio_X509(cb, x) ||
	    !PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL))
		abort();
	h->cert = bio_string(cb);
	h->key = bio_string(kb);
	X509_free(x);
	EVP_PKEY_free(pkey);
}

static gc_httpd *start(gc_httpd_fn fn, void *payload, bool tls)
{
	gc_httpd *h = gc_xcalloc(1, sizeof(*h));
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	unsigned flags =
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	h->fn = fn;
	h->payload = payload;
	if (tls) {
		make_cert(h);
		h->d = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL,
					handle, h, MHD_OPTION_SOCK_ADDR,
					(struct sockaddr *)&sa,
					MHD_OPTION_NOTIFY_COMPLETED, completed,
					NULL, MHD_OPTION_CONNECTION_TIMEOUT,
					30u, MHD_OPTION_HTTPS_MEM_KEY, h->key,
					MHD_OPTION_HTTPS_MEM_CERT, h->cert,
					MHD_OPTION_END);
	} else {
		h->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, h,
					MHD_OPTION_SOCK_ADDR,
					(struct sockaddr *)&sa,
					MHD_OPTION_NOTIFY_COMPLETED, completed,
					NULL, MHD_OPTION_CONNECTION_TIMEOUT,
					30u, MHD_OPTION_END);
	}
	if (!h->d) {
		fprintf(stderr, "gc_httpd_start: cannot start libmicrohttpd\n");
		abort();
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : 0;
	return h;
}

gc_httpd *gc_httpd_start(gc_httpd_fn fn, void *payload)
{
	return start(fn, payload, false);
}

gc_httpd *gc_httpd_start_tls(gc_httpd_fn fn, void *payload)
{
	return start(fn, payload, true);
}

void gc_httpd_stop(gc_httpd *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h->cert);
	free(h->key);
	free(h);
}

unsigned short gc_httpd_port(const gc_httpd *h)
{
	return h->port;
}

char *gc_httpd_url(const gc_httpd *h, const char *path)
{
	return gc_xasprintf("%s://127.0.0.1:%u%s", h->cert ? "https" : "http",
			    h->port, path ? path : "");
}

const char *gc_httpd_header(const gc_httpd_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->priv, MHD_HEADER_KIND, name);
}

const char *gc_httpd_arg(const gc_httpd_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->priv, MHD_GET_ARGUMENT_KIND,
					   name);
}

unsigned gc_httpd_count(const gc_httpd *h)
{
	return __atomic_load_n(&h->count, __ATOMIC_SEQ_CST);
}
