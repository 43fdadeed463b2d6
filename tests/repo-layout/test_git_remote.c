/*
 * gc_git_* against remotes: a bare repository behind file:// (cloned into a
 * cache directory, fetched, pushed to, raced by a "human" using the git
 * CLI), and a loopback HTTP server that asks for credentials.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>

#include <microhttpd.h>

#include "git_helpers.h"
#include "httpd.h"

static char *tmp, *url, *cache;
static gc_git_open_opts opts;

static void setup(void)
{
	tmp = gc_test_tmpdir();
	url = gc_xasprintf("file://%s/remote.git", tmp);
	cache = gc_xasprintf("%s/cache", tmp);
	opts.cache_dir = cache;
	opts.token = NULL;
	opts.ssh_key = NULL;
	sh_ok("cd '%s' && git init -q -b main seed && cd seed && "
	      "mkdir ns && echo a > ns/a.yaml && git add . && "
	      "git commit -q -m first && git tag v1 && "
	      "git notes --ref=gitcanary add -m evidence HEAD && "
	      "git clone -q --bare . ../remote.git && "
	      "git push -q ../remote.git refs/notes/gitcanary",
	      tmp);
}

static void teardown(void)
{
	gc_test_rmrf(tmp);
	free(tmp);
	free(url);
	free(cache);
}

static gc_git *open_remote(void)
{
	gc_error err = GC_ERROR_INIT;
	gc_git *g = NULL;

	ck_assert_msg(gc_git_open(&g, url, &opts, &err) == 0, "%s", err.msg);
	return g;
}

/* The human's clone, for commits that race ours. */
static void human_commit(const char *file, const char *msg)
{
	sh_ok("cd '%s' && { [ -d human ] || git clone -q remote.git human; } && "
	      "cd human && git pull -q --ff-only && echo '%s' > %s && "
	      "git add %s && git commit -q -m '%s' && git push -q origin main",
	      tmp, msg, file, file, msg);
}

static char *remote_rev(const char *rev)
{
	return sh("git --git-dir='%s/remote.git' rev-parse '%s'", tmp, rev);
}

START_TEST(test_git_remote__clones_into_cache_and_fetches)
{
	gc_error err = GC_ERROR_INIT;
	gc_buf note = GC_BUF_INIT;
	char id[GC_OID_HEX], tag[GC_OID_HEX];
	char *main1 = remote_rev("main"), *main2, *branch = NULL, *entries;
	char *want;
	gc_git *g = open_remote();

	/* one clone, named after the URL, inside the cache dir only */
	want = gc_xasprintf("%s_remote-", tmp + 1);
	for (char *p = want; *p; p++)
		*p = *p == '/' ? '_' : *p;
	entries = sh("ls -A '%s'; ls -A '%s'", cache, tmp);
	ck_assert_msg(!strncmp(entries, want, strlen(want)), "%s", entries);
	ck_assert_str_eq(entries + strlen(want) + 8,
			 ".git\ncache\nremote.git\nseed");
	free(entries);
	entries = sh(
		"git --git-dir=\"$(ls -d '%s'/*)\" rev-parse --is-bare-repository",
		cache);
	ck_assert_str_eq(entries, "true");
	free(entries);

	ck_assert_int_eq(gc_git_resolve(id, g, NULL, &err), 0);
	ck_assert_str_eq(id, main1);
	ck_assert_int_eq(gc_git_resolve(id, g, "main", &err), 0);
	ck_assert_str_eq(id, main1);
	ck_assert_int_eq(gc_git_resolve(tag, g, "v1", &err), 0);
	ck_assert_str_eq(tag, main1);
	ck_assert_int_eq(gc_git_default_branch(&branch, g, &err), 0);
	ck_assert_str_eq(branch, "main");
	ck_assert_int_eq(gc_git_note_get(&note, g, "refs/notes/gitcanary", id,
					 &err),
			 0);
	ck_assert_str_eq(note.ptr, "evidence\n");

	human_commit("ns/b.yaml", "human change");
	main2 = remote_rev("main");
	ck_assert_int_eq(gc_git_resolve(id, g, "main", &err), 0);
	ck_assert_str_eq(id, main1); /* not fetched yet */
	ck_assert_int_eq(gc_git_fetch(g, &err), 0);
	ck_assert_int_eq(gc_git_resolve(id, g, "main", &err), 0);
	ck_assert_str_eq(id, main2);
	gc_git_free(g);

	/* a later open reuses the clone and fetches */
	human_commit("ns/c.yaml", "another");
	free(main2);
	main2 = remote_rev("main");
	g = open_remote();
	ck_assert_int_eq(gc_git_resolve(id, g, NULL, &err), 0);
	ck_assert_str_eq(id, main2);
	entries = sh("ls -A '%s' | wc -l", cache);
	ck_assert_str_eq(entries, "1");
	free(entries);
	gc_git_free(g);
	gc_buf_release(&note);
	free(want);
	free(branch);
	free(main1);
	free(main2);
}
END_TEST

START_TEST(test_git_remote__cache_name_stays_inside_cache_dir)
{
	gc_error err = GC_ERROR_INIT;
	char *odd = gc_xasprintf("file://%s/x/../remote.git", tmp);
	char *entries;
	gc_git *g = NULL;

	sh_ok("mkdir '%s/x'", tmp);
	ck_assert_msg(gc_git_open(&g, odd, &opts, &err) == 0, "%s", err.msg);
	entries = sh("ls -A '%s'", cache);
	ck_assert_ptr_null(strstr(entries, ".."));
	ck_assert_ptr_null(strchr(entries, '/'));
	ck_assert_ptr_nonnull(strstr(entries, "_x_remote-"));
	free(entries);
	entries = sh("ls -A '%s/x' | wc -l", tmp);
	ck_assert_str_eq(entries, "0");
	free(entries);
	gc_git_free(g);
	free(odd);
}
END_TEST

START_TEST(test_git_remote__pushes_without_force)
{
	gc_error err = GC_ERROR_INIT;
	char base[GC_OID_HEX], c[GC_OID_HEX], id[GC_OID_HEX];
	const gc_git_update up = { "ns/deploy.yaml", "replicas: 2\n", 12,
				   NULL };
	char *s;
	gc_git *g = open_remote();

	ck_assert_int_eq(gc_git_resolve(base, g, "main", &err), 0);
	ck_assert_int_eq(gc_git_commit(c, g, base, &up, 1, bot(), NULL,
				       "Advance podinfo.test canary weight 20",
				       &err),
			 0);
	ck_assert_msg(gc_git_update_branch(g, "main", base, c, &err) == 0, "%s",
		      err.msg);
	s = remote_rev("main");
	ck_assert_str_eq(s, c);
	free(s);
	ck_assert_int_eq(gc_git_resolve(id, g, "main", &err), 0);
	ck_assert_str_eq(id, c); /* remote-tracking ref follows the push */

	/* a new branch: "" = must not exist yet */
	ck_assert_int_eq(gc_git_update_branch(g, "deploy", "", c, &err), 0);
	s = remote_rev("deploy");
	ck_assert_str_eq(s, c);
	free(s);
	ck_assert_int_eq(gc_git_update_branch(g, "deploy", "", base, &err),
			 GC_ECONFLICT);
	s = gc_xasprintf("branch 'deploy' of '%s' moved meanwhile", url);
	ck_assert_str_eq(err.msg, s);
	free(s);
	gc_error_release(&err);
	gc_git_free(g);
}
END_TEST

START_TEST(test_git_remote__concurrent_push_conflicts)
{
	gc_error err = GC_ERROR_INIT;
	char base[GC_OID_HEX], ours[GC_OID_HEX], id[GC_OID_HEX];
	const gc_git_update up = { "ns/a.yaml", "ours\n", 5, NULL };
	char *theirs, *s;
	gc_git *g = open_remote();

	ck_assert_int_eq(gc_git_resolve(base, g, "main", &err), 0);
	human_commit("ns/human.yaml", "human fix");
	theirs = remote_rev("main");
	ck_assert_int_eq(gc_git_commit(ours, g, base, &up, 1, bot(), NULL,
				       "ours", &err),
			 0);
	ck_assert_int_eq(gc_git_update_branch(g, "main", base, ours, &err),
			 GC_ECONFLICT);
	s = gc_xasprintf(
		"push to '%s' rejected: cannot push because a reference that you are trying to update on the remote contains commits that are not present locally",
		url);
	ck_assert_str_eq(err.msg, s);
	free(s);
	gc_error_release(&err);
	/* nothing half-done: the remote keeps the human commit, our view too */
	s = sh("git --git-dir='%s/remote.git' log --format=%%s main", tmp);
	ck_assert_str_eq(s, "human fix\nfirst");
	free(s);
	ck_assert_int_eq(gc_git_resolve(id, g, "main", &err), 0);
	ck_assert_str_eq(id, base);

	/* fetch, redo on top, push */
	ck_assert_int_eq(gc_git_fetch(g, &err), 0);
	ck_assert_int_eq(gc_git_resolve(id, g, "main", &err), 0);
	ck_assert_str_eq(id, theirs);
	/* a commit built on the stale base is not a fast-forward either */
	ck_assert_int_eq(gc_git_update_branch(g, "main", theirs, ours, &err),
			 GC_ECONFLICT);
	s = gc_xasprintf(
		"push to '%s' rejected: cannot push non-fastforwardable reference",
		url);
	ck_assert_str_eq(err.msg, s);
	free(s);
	gc_error_release(&err);
	ck_assert_int_eq(gc_git_commit(ours, g, id, &up, 1, bot(), NULL, "ours",
				       &err),
			 0);
	ck_assert_int_eq(gc_git_update_branch(g, "main", id, ours, &err), 0);
	s = sh("git --git-dir='%s/remote.git' log --format=%%s main", tmp);
	ck_assert_str_eq(s, "ours\nhuman fix\nfirst");
	free(s);
	gc_git_free(g);
	free(theirs);
}
END_TEST

START_TEST(test_git_remote__notes_are_pushed_and_merged_on_race)
{
	gc_error err = GC_ERROR_INIT;
	char head[GC_OID_HEX];
	char *s, *second;
	gc_git *g = open_remote();

	ck_assert_int_eq(gc_git_resolve(head, g, "main", &err), 0);
	ck_assert_int_eq(gc_git_note_set(g, "refs/notes/gitcanary", head,
					 "promoted\n", bot(), &err),
			 0);
	s = sh("git --git-dir='%s/remote.git' notes --ref=gitcanary show main",
	       tmp);
	ck_assert_str_eq(s, "promoted");
	free(s);

	/* someone else adds a note for another commit; our ref is stale */
	human_commit("ns/z.yaml", "second");
	second = remote_rev("main");
	sh_ok("cd '%s/human' && git fetch -q origin refs/notes/gitcanary:refs/notes/gitcanary && "
	      "git notes --ref=gitcanary add -m theirs HEAD && "
	      "git push -q origin refs/notes/gitcanary",
	      tmp);
	ck_assert_msg(gc_git_note_set(g, "refs/notes/gitcanary", head,
				      "promoted again\n", bot(), &err) == 0,
		      "%s", err.msg);
	s = sh("cd '%s/remote.git' && git notes --ref=gitcanary show %s && "
	       "git notes --ref=gitcanary show %s",
	       tmp, head, second);
	ck_assert_str_eq(s, "promoted again\ntheirs");
	free(s);
	gc_git_free(g);
	free(second);
}
END_TEST

/* ---- credentials over HTTP ------------------------------------------- */

static pthread_mutex_t auth_lock = PTHREAD_MUTEX_INITIALIZER;
static char auth_seen[256];

static enum MHD_Result answer(void *cls, struct MHD_Connection *c,
			      const char *u, const char *method,
			      const char *version, const char *data,
			      size_t *size, void **state)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						       "Authorization");
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls, (void)u, (void)method, (void)version, (void)data;
	(void)size, (void)state;
	pthread_mutex_lock(&auth_lock);
	if (auth)
		snprintf(auth_seen, sizeof(auth_seen), "%s", auth);
	pthread_mutex_unlock(&auth_lock);
	r = MHD_create_response_from_buffer(0, GC_UNCONST(""),
					    MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "WWW-Authenticate", "Basic realm=\"git\"");
	ret = MHD_queue_response(c, MHD_HTTP_UNAUTHORIZED, r);
	MHD_destroy_response(r);
	return ret;
}

#define NEEDS \
	"the remote requires credentials (set GITCANARY_GIT_TOKEN or an SSH key)"
#define REJECTED "the remote rejected the credentials"
#define REFUSED                                                          \
	"refusing to send credentials over plain http (use https:// or " \
	"ssh://, or --allow-insecure-http)"

static const struct {
	const char *token; /* opts.token */
	const char *env;   /* GITCANARY_GIT_TOKEN */
	const char *userinfo;
	const char *query;  /* after the path */
	bool insecure;      /* opts.allow_insecure_http */
	const char *header; /* Authorization the server saw */
	const char *msg;    /* after "cannot fetch '<url>': " */
} creds[] = {
	/* base64("x-access-token:s3cr3t-opt") */
	{ "s3cr3t-opt", NULL, "", "", true,
	  "Basic eC1hY2Nlc3MtdG9rZW46czNjcjN0LW9wdA==", REJECTED },
	/* base64("x-access-token:s3cr3t-env") */
	{ NULL, "s3cr3t-env", "", "", true,
	  "Basic eC1hY2Nlc3MtdG9rZW46czNjcjN0LWVudg==", REJECTED },
	{ NULL, NULL, "", "", true, "", NEEDS },
	/* base64("bob:hunter2") */
	{ NULL, NULL, "bob:hunter2@", "", true,
	  "Basic Ym9iOmh1bnRlcjI=", REJECTED },
	/* over plain http credentials stay home unless allowed */
	{ "s3cr3t-opt", NULL, "", "", false, "", REFUSED },
	{ NULL, "s3cr3t-env", "", "", false, "", REFUSED },
	{ NULL, NULL, "bob:hunter2@", "", false, "", REFUSED },
	/* a token in the query string: not in the error, nor the cache */
	{ NULL, NULL, "", "?access_token=s3cr3t-query#s3cr3t-frag", false, "",
	  NEEDS },
};

START_TEST(test_git_remote__https_token_is_sent_never_shown)
{
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	gc_error err = GC_ERROR_INIT;
	struct sockaddr_in sa;
	char *u, *want;
	gc_git *g = NULL;

	auth_seen[0] = '\0'; /* fresh also under CK_FORK=no */
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
			     answer, NULL, MHD_OPTION_SOCK_ADDR, &sa,
			     MHD_OPTION_END);
	ck_assert_ptr_nonnull(d);
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	u = gc_xasprintf("http://%s127.0.0.1:%u/org/repo.git%s",
			 creds[_i].userinfo, (unsigned)info->port,
			 creds[_i].query);
	opts.token = creds[_i].token;
	opts.allow_insecure_http = creds[_i].insecure;
	if (creds[_i].env)
		setenv("GITCANARY_GIT_TOKEN", creds[_i].env, 1);
	else
		unsetenv("GITCANARY_GIT_TOKEN");
	ck_assert_int_eq(gc_git_open(&g, u, &opts, &err), GC_ERROR);
	ck_assert_ptr_null(g);
	pthread_mutex_lock(&auth_lock);
	ck_assert_str_eq(auth_seen, creds[_i].header);
	pthread_mutex_unlock(&auth_lock);
	ck_assert_ptr_null(strstr(err.msg, "s3cr3t"));
	ck_assert_ptr_null(strstr(err.msg, "hunter2"));
	/* nor in the names of the cache, nor in the clone's config */
	ck_assert_int_eq(
		gc_test_sh(NULL, NULL,
			   "! ls -R '%s' | grep -e s3cr3t -e hunter2 && "
			   "! grep -r -e s3cr3t -e hunter2 '%s'",
			   cache, cache),
		0);
	want = gc_xasprintf(
		"cannot fetch 'http://127.0.0.1:%u/org/repo.git%s': %s",
		(unsigned)info->port, creds[_i].query[0] ? "?<redacted>" : "",
		creds[_i].msg);
	ck_assert_str_eq(err.msg, want);
	free(want);
	gc_error_release(&err);
	MHD_stop_daemon(d);
	free(u);
}
END_TEST

static void answer_ok(const gc_httpd_request *req, gc_httpd_response *resp,
		      void *payload)
{
	(void)req;
	(void)resp;
	(void)payload;
}

/*
 * HTTPS against a server whose certificate does not verify (self-signed
 * for 127.0.0.1): refused during the handshake, before any request, so a
 * token never reaches it.
 */
START_TEST(test_git_remote__https_untrusted_certificate_is_refused)
{
	gc_httpd *h = gc_httpd_start_tls(answer_ok, NULL);
	char *u = gc_httpd_url(h, "/org/repo.git");
	char *want = gc_xasprintf("cannot fetch '%s': the SSL certificate is "
				  "invalid",
				  u);
	gc_error err = GC_ERROR_INIT;
	gc_git *g = NULL;

	opts.token = "s3cr3t-tls";
	ck_assert_int_eq(gc_git_open(&g, u, &opts, &err), GC_ERROR);
	ck_assert_ptr_null(g);
	ck_assert_uint_eq(gc_httpd_count(h), 0);
	ck_assert_msg(!strncmp(err.msg, want, strlen(want)), "%s", err.msg);
	ck_assert_ptr_null(strstr(err.msg, "s3cr3t"));
	gc_error_release(&err);
	free(want);
	gc_httpd_stop(h);
	free(u);
}
END_TEST

static Suite *gc_suite_git_remote(void)
{
	Suite *s = suite_create("git_remote");
	TCase *tc = tcase_create("remote");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_git_remote__clones_into_cache_and_fetches);
	tcase_add_test(tc, test_git_remote__cache_name_stays_inside_cache_dir);
	tcase_add_test(tc, test_git_remote__pushes_without_force);
	tcase_add_test(tc, test_git_remote__concurrent_push_conflicts);
	tcase_add_test(tc,
		       test_git_remote__notes_are_pushed_and_merged_on_race);
	tcase_add_loop_test(tc,
			    test_git_remote__https_token_is_sent_never_shown, 0,
			    GC_ARRAY_SIZE(creds));
	tcase_add_test(tc,
		       test_git_remote__https_untrusted_certificate_is_refused);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_git_remote)
