// SPDX-License-Identifier: GPL-2.0-only
/*
 * kc_log: leveled messages on stderr with the "kchaos-lua:" prefix, and kc_strerror,
 * which names an errno the way users search for it ("ENOMEM: Cannot allocate memory").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc_log.h"

static int log_level = KC_LOG_HINT;

static const char *const level_tag[] = {
	[KC_LOG_ERROR] = "error: ",
	[KC_LOG_WARN] = "warning: ",
	[KC_LOG_HINT] = "hint: ",
	[KC_LOG_INFO] = "",
	[KC_LOG_DEBUG] = "debug: ",
};

/* Sets the level; a value out of range means the nearest level. */
void kc_log_set_level(int level)
{
	if (level < KC_LOG_ERROR)
		level = KC_LOG_ERROR;
	if (level > KC_LOG_DEBUG)
		level = KC_LOG_DEBUG;
	log_level = level;
}

int kc_log_get_level(void)
{
	return log_level;
}

/*
 * Messages carry what users wrote (script errors, names): bytes outside printable ASCII,
 * but tabs and line ends, are written as \xNN, so none can drive the terminal.
 */
void kc_log(enum kc_log_level level, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	if ((int)level > log_level)
		return;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "kchaos-lua: %s", level_tag[level]);
	for (int i = 0; i < n; i++) {
		unsigned char c = (unsigned char)msg[i];

		if ((c >= 32 && c <= 126) || c == '\t' || c == '\n')
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	if (n >= 0)
		free(msg);
	fputc('\n', stderr);
}

const char *kc_strerror(int err)
{
	static char buf[160];
	const char *name = strerrorname_np(err < 0 ? -err : err);

	snprintf(buf, sizeof(buf), "%s: %s", name ? name : "E?", strerror(err < 0 ? -err : err));
	return buf;
}
