/*
 * Flagger's alert payloads, byte for byte (pkg/notifier: slack.go,
 * teams.go, discord.go, rocket.go, gchat.go). Each payload is built as a
 * cJSON tree in the Go struct's field order and printed the way Go's
 * encoding/json prints it.
 */
#include "reconciler/checks/notifier.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "util/alloc.h"
#include "util/common.h"
#include "util/json.h"

static const char *const type_names[] = { "slack", "msteams", "discord",
					  "rocket", "gchat" };

int gc_notifier_type_parse(gc_notifier_type *out, const char *name)
{
	for (size_t i = 0; name && i < GC_ARRAY_SIZE(type_names); i++) {
		if (!strcmp(name, type_names[i])) {
			*out = (gc_notifier_type)i;
			return 0;
		}
	}
	return GC_ENOTFOUND;
}

const char *gc_notifier_type_name(gc_notifier_type type)
{
	return type_names[type];
}

const char *gc_notifier_severity_name(gc_alert_severity severity)
{
	switch (severity) {
	case GC_ALERT_INFO:
		return "info";
	case GC_ALERT_WARN:
		return "warn";
	case GC_ALERT_ERROR:
		return "error";
	case GC_ALERT_NONE:
		break;
	}
	return "";
}

/* Length of the valid UTF-8 sequence at s (Go's utf8.DecodeRune), or 0. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

/*
 * cJSON's compact print turned into json.Marshal's: the same except for
 * Go's HTML-safe escapes, U+2028/U+2029 and invalid UTF-8. Outside
 * strings cJSON writes only ASCII punctuation, literals and numbers, so
 * every byte rewritten here is inside a string.
 */
static void go_json(gc_buf *out, const cJSON *v)
{
	char *printed = cJSON_PrintUnformatted(v);
	const unsigned char *s = (const unsigned char *)printed;
	size_t n;

	GC_ASSERT(printed);
	while (*s) {
		if (*s == '<' || *s == '>' || *s == '&') {
			gc_buf_addf(out, "\\u00%02x", *s++);
			continue;
		}
		if (!(n = utf8_len(s))) {
			gc_buf_adds(out, "\\ufffd");
			s++;
			continue;
		}
		/*
		 * gc_json_add_str has already made invalid bytes U+FFFD (the
		 * audit trail is UTF-8): Go writes those as \ufffd.
		 */
		if (n == 3 && s[0] == 0xEF && s[1] == 0xBF && s[2] == 0xBD)
			gc_buf_adds(out, "\\ufffd");
		else if (n == 3 && s[0] == 0xE2 && s[1] == 0x80 &&
			 (s[2] == 0xA8 || s[2] == 0xA9))
			gc_buf_addf(out, "\\u20%02x",
				    s[2] == 0xA8 ? 0x28 : 0x29);
		else
			gc_buf_add(out, s, n);
		s += n;
	}
	free(printed);
}

static void add_bool(cJSON *o, const char *key, bool v)
{
	GC_ASSERT(cJSON_AddBoolToObject(o, key, v));
}

static cJSON *new_obj(void)
{
	cJSON *o = cJSON_CreateObject();

	GC_ASSERT(o);
	return o;
}

static cJSON *add_arr(cJSON *o, const char *key)
{
	cJSON *a = cJSON_AddArrayToObject(o, key);

	GC_ASSERT(a);
	return a;
}

static char *workload_id(const gc_notifier_post *p)
{
	return gc_xasprintf("%s.%s", p->workload, p->namespace);
}

/* SlackPayload, shared by slack.go, discord.go and rocket.go. */
static cJSON *slack_payload(const gc_notifier_post *p, const char *color)
{
	cJSON *root = new_obj(), *att, *a, *fields, *mrkdwn;
	char *author = workload_id(p);

	gc_json_add_str(root, "channel", p->channel ? p->channel : "");
	gc_json_add_str(root, "username", p->username ? p->username : "");
	gc_json_add_str(root, "icon_url", "");
	gc_json_add_str(root, "icon_emoji", ":rocket:");
	/* text is omitempty and never set */
	att = add_arr(root, "attachments");
	a = new_obj();
	cJSON_AddItemToArray(att, a);
	gc_json_add_str(a, "color", color);
	gc_json_add_str(a, "author_name", author);
	gc_json_add_str(a, "text", p->message);
	mrkdwn = add_arr(a, "mrkdwn_in");
	cJSON_AddItemToArray(mrkdwn, cJSON_CreateString("text"));
	fields = add_arr(a, "fields");
	for (size_t i = 0; i < p->nfields; i++) {
		cJSON *f = new_obj();

		gc_json_add_str(f, "title", p->fields[i].name);
		gc_json_add_str(f, "value", p->fields[i].value);
		add_bool(f, "short", false);
		cJSON_AddItemToArray(fields, f);
	}
	free(author);
	return root;
}

/* MSTeamsPayload, a MessageCard (teams.go). */
static cJSON *teams_payload(const gc_notifier_post *p, bool error)
{
	cJSON *root = new_obj(), *sections, *sec, *facts;
	char *id = workload_id(p);

	gc_json_add_str(root, "@type", "MessageCard");
	gc_json_add_str(root, "@context", "http://schema.org/extensions");
	gc_json_add_str(root, "themeColor", error ? "FF0000" : "0076D7");
	gc_json_add_str(root, "summary", id);
	sections = add_arr(root, "sections");
	sec = new_obj();
	cJSON_AddItemToArray(sections, sec);
	gc_json_add_str(sec, "activityTitle", p->message);
	gc_json_add_str(sec, "activitySubtitle", id);
	facts = add_arr(sec, "facts");
	for (size_t i = 0; i < p->nfields; i++) {
		cJSON *f = new_obj();

		gc_json_add_str(f, "name", p->fields[i].name);
		gc_json_add_str(f, "value", p->fields[i].value);
		cJSON_AddItemToArray(facts, f);
	}
	free(id);
	return root;
}

/* One GChatSections holding one textParagraph widget. */
static void gchat_section(cJSON *sections, const char *text)
{
	cJSON *sec = new_obj(), *widgets, *w, *tp;

	widgets = add_arr(sec, "widgets");
	w = new_obj();
	cJSON_AddItemToArray(widgets, w);
	tp = new_obj();
	cJSON_AddItemToObject(w, "textParagraph", tp);
	gc_json_add_str(tp, "text", text);
	cJSON_AddItemToArray(sections, sec);
}

/* GChatPayload, one card (gchat.go); severity does not show. */
static cJSON *gchat_payload(const gc_notifier_post *p)
{
	cJSON *root = new_obj(), *cards, *card, *header, *sections;
	char *id = workload_id(p), *text;

	cards = add_arr(root, "cards");
	card = new_obj();
	cJSON_AddItemToArray(cards, card);
	header = new_obj();
	cJSON_AddItemToObject(card, "header", header);
	gc_json_add_str(header, "title", "Flagger");
	gc_json_add_str(header, "subtitle", id);
	gc_json_add_str(header, "imageUrl", "https://flagger.app/favicon.png");
	sections = add_arr(card, "sections");
	text = gc_xasprintf("<font color=#848484><strong>%s</strong></font>",
			    p->message);
	gchat_section(sections, text);
	free(text);
	for (size_t i = 0; i < p->nfields; i++) {
		text = gc_xasprintf(
			"%s<br><font color=#848484><strong>%s</strong></font>",
			p->fields[i].name, p->fields[i].value);
		gchat_section(sections, text);
		free(text);
	}
	free(id);
	return root;
}

void gc_notifier_body(gc_buf *out, gc_notifier_type type,
		      const gc_notifier_post *p)
{
	bool error = p->severity == GC_ALERT_ERROR;
	cJSON *payload = NULL;

	switch (type) {
	case GC_NOTIFIER_SLACK:
	case GC_NOTIFIER_DISCORD:
		payload = slack_payload(p, error ? "danger" : "good");
		break;
	case GC_NOTIFIER_ROCKET:
		payload = slack_payload(p, error ? "#FF0000" : "#0076D7");
		break;
	case GC_NOTIFIER_MSTEAMS:
		payload = teams_payload(p, error);
		break;
	case GC_NOTIFIER_GCHAT:
		payload = gchat_payload(p);
		break;
	}
	GC_ASSERT(payload);
	go_json(out, payload);
	cJSON_Delete(payload);
}

/*
 * discord.go: path.Join(webhook.Path, "slack") unless the address ends
 * with "/slack"; the query and fragment stay where they were.
 */
static void discord_url(gc_buf *out, const char *address)
{
	const char *auth = strstr(address, "://");
	const char *path, *rest;
	size_t plen, alen = strlen(address);

	if (alen >= 6 && !strcmp(address + alen - 6, "/slack")) {
		gc_buf_adds(out, address);
		return;
	}
	auth = auth ? auth + 3 : address;
	path = auth + strcspn(auth, "/?#");
	rest = path + strcspn(path, "?#");
	plen = (size_t)(rest - path);
	while (plen && path[plen - 1] == '/')
		plen--;
	gc_buf_add(out, address, (size_t)(path - address));
	gc_buf_add(out, path, plen);
	gc_buf_adds(out, "/slack");
	gc_buf_adds(out, rest);
}

void gc_notifier_url(gc_buf *out, gc_notifier_type type, const char *address)
{
	if (type == GC_NOTIFIER_DISCORD)
		discord_url(out, address);
	else
		gc_buf_adds(out, address);
}

int gc_notifier_check_address(const char *address, gc_error *err)
{
	const char *host;

	if (!address || !*address)
		return gc_error_set(err, GC_EINVALID, "the address is empty");
	if (!strncasecmp(address, "http://", 7))
		host = address + 7;
	else if (!strncasecmp(address, "https://", 8))
		host = address + 8;
	else
		return gc_error_set(
			err, GC_EINVALID,
			"the address is not an http:// or https:// URL");
	if (!*host || strchr("/?#", *host))
		return gc_error_set(err, GC_EINVALID,
				    "the address has no host");
	for (const char *c = address; *c; c++)
		if ((unsigned char)*c <= ' ')
			return gc_error_set(
				err, GC_EINVALID,
				"the address contains a space or control character");
	return 0;
}

/* s without control characters, cut at max bytes (not inside a UTF-8
 * sequence). */
static void one_line(gc_buf *out, const char *s, size_t max)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++) {
		if (n >= max && (*p & 0xC0) != 0x80) {
			gc_buf_adds(out, "...");
			return;
		}
		gc_buf_addch(out, *p < 0x20 || *p == 0x7f ? ' ' : (char)*p);
	}
}

char *gc_notifier_failure(bool answered, long status, const char *body,
			  const char *error, const char *url)
{
	gc_buf raw = GC_BUF_INIT, out = GC_BUF_INIT;
	size_t ulen = url ? strlen(url) : 0;
	const char *p, *hit;

	if (answered)
		gc_buf_addf(&raw, "sending notification bad response %ld: %s",
			    status, body ? body : "");
	else
		gc_buf_addf(&raw, "sending notification failed to send: %s",
			    error && *error ? error : "no response");
	/* the address first, then the bound: a cut copy must not survive */
	for (p = raw.ptr; ulen && (hit = strstr(p, url)); p = hit + ulen) {
		gc_buf_add(&out, p, (size_t)(hit - p));
		gc_buf_adds(&out, "<address>");
	}
	gc_buf_adds(&out, p);
	gc_buf_clear(&raw);
	one_line(&raw, out.ptr, 200);
	gc_buf_release(&out);
	return gc_buf_detach(&raw, NULL);
}
