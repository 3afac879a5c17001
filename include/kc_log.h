/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kc_log: the one logger of kchaos-lua. Every message on stderr goes through here,
 * with the program's prefix and a level; -v and KCHAOS_LOG raise the level.
 */
#ifndef KC_LOG_H
#define KC_LOG_H

enum kc_log_level {
	KC_LOG_ERROR,
	KC_LOG_WARN,
	KC_LOG_HINT,
	KC_LOG_INFO,
	KC_LOG_DEBUG,
};

void kc_log_set_level(int level);
int kc_log_get_level(void);
void kc_log(enum kc_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define kc_err(...)   kc_log(KC_LOG_ERROR, __VA_ARGS__)
#define kc_warn(...)  kc_log(KC_LOG_WARN, __VA_ARGS__)
#define kc_hint(...)  kc_log(KC_LOG_HINT, __VA_ARGS__)
#define kc_info(...)  kc_log(KC_LOG_INFO, __VA_ARGS__)
#define kc_debug(...) kc_log(KC_LOG_DEBUG, __VA_ARGS__)

const char *kc_strerror(int err);

#endif
