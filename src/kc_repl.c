// SPDX-License-Identifier: GPL-2.0-only
/*
 * kc_repl: line editing for the REPL on libedit's own interface (el_gets, history), in
 * unbuffered mode: Lua polls stdin with the event loop and feeds each keystroke to
 * rl_read_char, so injections and timers go on while a line is edited. Completion asks a
 * Lua function registered by rl_init; everything else about lines is decided in Lua.
 *
 * libedit's readline emulation is not used: its rl_line_buffer points into a conversion
 * buffer that el_gets reallocates when a line grows past it (a long line recalled from
 * history), after which the emulation writes through the stale pointer. Here every line
 * libedit returns is copied before the next libedit call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>

#include <histedit.h>
#include <lauxlib.h>

#include "kc_log.h"
#include "kc_repl.h"

#define COMPLETER_KEY "kchaos.repl_completer"

/* Characters that end a word for completion: '.' and ':' stay in, so "kchaos.sl" is one. */
static const char word_breaks[] = " \t\n\"'`@$><=;|&{}()[],+-*/%^~#";

static EditLine *el;
static History *hist;
static int installed;		/* a prompt is up and libedit owns the terminal */
static char *prompt;
static char *line_done;		/* the line libedit handed over, until rl_read_char returns it */
static size_t line_len;
static int line_state;		/* 0: editing, 1: a line is ready, 2: end of input */

/* The state completion runs in: set only while rl_read_char feeds libedit. */
static lua_State *complete_state;

static char *get_prompt(EditLine *e)
{
	(void)e;
	return prompt ? prompt : "";
}

/* How many characters (not bytes) the n bytes at s hold, in the current locale. */
static int char_count(const char *s, size_t n)
{
	mbstate_t st = { 0 };
	int count = 0;

	while (n > 0) {
		size_t k = mbrlen(s, n, &st);

		if (k == 0 || k > n)
			k = 1;
		s += k;
		n -= k;
		count++;
	}
	return count;
}

/* Prints the candidates in columns under the line; libedit redraws the line after. */
static void list_matches(lua_State *L, int list)
{
	int n = (int)lua_objlen(L, list), cols = 80, width = 0, per_row;

	el_get(el, EL_GETTC, "co", &cols);
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(L, list, i);
		if ((int)lua_objlen(L, -1) > width)
			width = (int)lua_objlen(L, -1);
		lua_pop(L, 1);
	}
	width += 2;
	per_row = cols > width ? cols / width : 1;
	fputc('\n', stdout);
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(L, list, i);
		const char *s = lua_isstring(L, -1) ? lua_tostring(L, -1) : "";

		if (i % per_row && i < n)
			fprintf(stdout, "%-*s", width, s);
		else
			fprintf(stdout, "%s\n", s);
		lua_pop(L, 1);
	}
	fflush(stdout);
}

/*
 * Tab: calls completer(line, start, stop) -> candidates, prefix with byte offsets of the
 * word before the cursor, then puts the only candidate, or the longer shared prefix, in
 * place of the word; when neither adds anything, lists the candidates. This is the one
 * place C calls Lua outside main's protected path: it runs inside a libedit call, so it
 * has its own lua_pcall, and an error only means no completion.
 */
static unsigned char complete_key(EditLine *e, int ch)
{
	lua_State *L = complete_state;
	const LineInfo *li = el_line(e);
	size_t stop = (size_t)(li->cursor - li->buffer), start = stop;
	unsigned char ret = CC_ERROR;
	const char *with;
	int top;

	(void)ch;
	if (!L)
		return CC_ERROR;
	while (start > 0 && li->buffer[start - 1] && !strchr(word_breaks, li->buffer[start - 1]))
		start--;

	/* The line is copied to Lua first: libedit's buffer does not outlive its next call. */
	top = lua_gettop(L);
	lua_getfield(L, LUA_REGISTRYINDEX, COMPLETER_KEY);
	lua_pushlstring(L, li->buffer, (size_t)(li->lastchar - li->buffer));
	lua_pushinteger(L, (lua_Integer)start);
	lua_pushinteger(L, (lua_Integer)stop);
	if (lua_pcall(L, 3, 2, 0) != 0) {
		kc_debug("completion: %s", lua_tostring(L, -1));
		goto out;
	}
	if (!lua_istable(L, top + 1) || lua_objlen(L, top + 1) == 0)
		goto out;

	lua_rawgeti(L, top + 1, 1);
	with = lua_objlen(L, top + 1) == 1 ? lua_tostring(L, -1) : lua_tostring(L, top + 2);
	li = el_line(e);
	if (with && strlen(with) > stop - start) {
		el_deletestr(e, char_count(li->buffer + start, stop - start));
		ret = el_insertstr(e, with) == 0 ? CC_REFRESH : CC_ERROR;
	} else if (lua_objlen(L, top + 1) > 1) {
		list_matches(L, top + 1);
		ret = CC_REDISPLAY;
	}
out:
	lua_settop(L, top);
	return ret;
}

/* At exit, whatever the path: the terminal goes back to the mode it was in. */
static void restore_terminal(void)
{
	if (installed) {
		el_set(el, EL_UNBUFFERED, 0);
		installed = 0;
	}
}

/* Key bindings a readline user expects, on top of libedit's emacs mode. */
static void bind_keys(void)
{
	static const char *const keys[][2] = {
		{ "^R", "em-inc-search-prev" },
		{ "\\e[1~", "ed-move-to-beg" }, { "\\e[4~", "ed-move-to-end" },
		{ "\\e[7~", "ed-move-to-beg" }, { "\\e[8~", "ed-move-to-end" },
		{ "\\e[H", "ed-move-to-beg" }, { "\\e[F", "ed-move-to-end" },
		{ "\\e[3~", "ed-delete-next-char" }, { "\\e[2~", "em-toggle-overwrite" },
		{ "\\e[1;5C", "em-next-word" }, { "\\e[1;5D", "ed-prev-word" },
		{ "\\e[5C", "em-next-word" }, { "\\e[5D", "ed-prev-word" },
		{ "\\e\\e[C", "em-next-word" }, { "\\e\\e[D", "ed-prev-word" },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		el_set(el, EL_BIND, keys[i][0], keys[i][1], NULL);
	el_set(el, EL_ADDFN, "kc-complete", "complete the word before the cursor", complete_key);
	el_set(el, EL_BIND, "^I", "kc-complete", NULL);
}

/* core.rl_init(completer): sets libedit up once; completer(line, start, stop) completes. */
static int l_rl_init(lua_State *L)
{
	HistEvent ev;

	luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_pushvalue(L, 1);
	lua_setfield(L, LUA_REGISTRYINDEX, COMPLETER_KEY);
	if (el)
		return 0;

	el = el_init("kchaos-lua", stdin, stdout, stderr);
	hist = history_init();
	if (!el || !hist)
		return luaL_error(L, "cannot set up line editing: %s", strerror(errno));
	history(hist, &ev, H_SETSIZE, 1000);

	/* Signals stay ours (EL_SIGNAL 0): libedit would otherwise catch Ctrl-C itself. */
	el_set(el, EL_SIGNAL, 0);
	el_set(el, EL_EDITOR, "emacs");
	el_set(el, EL_PROMPT, get_prompt);
	el_set(el, EL_HIST, history, hist);
	bind_keys();
	el_source(el, NULL);	/* ~/.editrc, as other libedit programs read it */
	atexit(restore_terminal);
	return 0;
}

/*
 * Opens a history file that must be a regular file if it exists: a FIFO or a device would
 * block or never end. Returns an fd, -ENOENT when there is none, or -errno (-EINVAL for
 * the wrong kind of file).
 */
static int history_open(const char *path, int flags, struct stat *st)
{
	int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0600);

	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		int err = S_ISREG(st->st_mode) ? -errno : -EINVAL;

		close(fd);
		return err;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/*
 * core.rl_history_load(path, max) -> true | nil, message. Keeps at most max lines. A
 * missing file is no error; a file that is not a regular file, or not libedit's format,
 * is: the caller then leaves it alone and does not save over it.
 */
static int l_rl_history_load(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	int max = (int)luaL_checkinteger(L, 2);
	struct stat st;
	HistEvent ev;
	int fd;

	history(hist, &ev, H_SETSIZE, max);
	fd = history_open(path, O_RDONLY, &st);
	if (fd == -ENOENT) {
		lua_pushboolean(L, 1);
		return 1;
	}
	if (fd < 0) {
		lua_pushnil(L);
		if (fd == -EINVAL)
			lua_pushfstring(L, "%s is not a regular file", path);
		else
			lua_pushfstring(L, "cannot read %s: %s", path, strerror(-fd));
		return 2;
	}
	close(fd);
	if (st.st_size > 0 && history(hist, &ev, H_LOAD, path) < 0) {
		lua_pushnil(L);
		lua_pushfstring(L, "%s is not a libedit history file", path);
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* core.rl_history_add(line) */
static int l_rl_history_add(lua_State *L)
{
	HistEvent ev;

	history(hist, &ev, H_ENTER, luaL_checkstring(L, 1));
	return 0;
}

/* core.rl_history_save(path) -> true | nil, message. A new file is private (0600). */
static int l_rl_history_save(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct stat st;
	HistEvent ev;
	FILE *f;
	int fd, err = 0;

	fd = history_open(path, O_WRONLY | O_CREAT, &st);
	if (fd < 0) {
		err = fd == -EINVAL ? ENODEV : -fd;
		goto fail;
	}
	if (ftruncate(fd, 0) < 0 || !(f = fdopen(fd, "w"))) {
		err = errno;
		close(fd);
		goto fail;
	}
	if (history(hist, &ev, H_SAVE_FP, f) < 0)
		err = errno ? errno : EIO;
	if (fclose(f) != 0 && !err)
		err = errno;
	if (err)
		goto fail;
	lua_pushboolean(L, 1);
	return 1;
fail:
	lua_pushnil(L);
	lua_pushfstring(L, "cannot write %s: %s", path, strerror(err));
	return 2;
}

/* core.rl_install(prompt): shows the prompt and starts editing a new line. */
static int l_rl_install(lua_State *L)
{
	char *p = strdup(luaL_checkstring(L, 1));

	if (!p)
		return luaL_error(L, "out of memory");
	fflush(stdout);
	free(prompt);
	prompt = p;
	free(line_done);
	line_done = NULL;
	line_state = 0;
	el_set(el, EL_UNBUFFERED, 1);	/* raw mode, and the prompt is drawn */
	installed = 1;
	return 0;
}

static int stdin_pending(short *revents)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };

	if (poll(&p, 1, 0) <= 0)
		return 0;
	*revents = p.revents;
	return 1;
}

/*
 * Feeds libedit one keystroke. el_gets in unbuffered mode returns the whole line so far:
 * it ends in '\n' once Enter was pressed, and is a lone ^D after Ctrl-D on an empty line.
 */
static void feed_key(void)
{
	int count = 0;
	const char *buf;

	errno = 0;
	buf = el_gets(el, &count);
	if (!buf || count <= 0) {
		/* An empty line also comes back as -1, but leaves errno alone. */
		if (count < 0 && errno && errno != EINTR && errno != EAGAIN)
			line_state = 2;
		return;
	}
	if (count == 1 && buf[0] == '\004') {
		line_state = 2;
	} else if (buf[count - 1] == '\n' || buf[count - 1] == '\r') {
		line_done = malloc((size_t)count);
		if (!line_done) {
			line_state = 2;
			return;
		}
		line_len = (size_t)count - 1;
		memcpy(line_done, buf, line_len);
		line_state = 1;
	}
	if (line_state)
		restore_terminal();	/* the terminal goes back to cooked mode */
}

/*
 * core.rl_read_char() -> line | false | nil
 * Feeds libedit every key waiting on stdin: returns the line once one is complete, false
 * at the end of input (Ctrl-D on an empty line, or the terminal went away), nil otherwise.
 */
static int l_rl_read_char(lua_State *L)
{
	short rev = 0;

	if (!installed && line_state == 0)
		return luaL_error(L, "rl_read_char: no prompt is installed");
	complete_state = L;
	while (line_state == 0 && stdin_pending(&rev)) {
		if ((rev & (POLLHUP | POLLERR | POLLNVAL)) && !(rev & POLLIN)) {
			line_state = 2;
			break;
		}
		feed_key();
		if (rev & POLLHUP)
			line_state = line_state ? line_state : 2;
	}
	complete_state = NULL;

	switch (line_state) {
	case 1:
		lua_pushlstring(L, line_done, line_len);
		break;
	case 2:
		restore_terminal();
		lua_pushboolean(L, 0);
		break;
	default:
		return 0;
	}
	free(line_done);
	line_done = NULL;
	line_state = 0;
	return 1;
}

/* core.rl_hide(): erases the prompt and the line being edited, so output can go there. */
static int l_rl_hide(lua_State *L)
{
	int cols = 0, up = 0;
	const LineInfo *li;

	(void)L;
	if (!installed)
		return 0;
	el_resize(el);	/* the window may have changed since the prompt went up */
	el_get(el, EL_GETTC, "co", &cols);
	li = el_line(el);
	if (cols > 0)
		up = (int)((strlen(get_prompt(el)) + (size_t)(li->cursor - li->buffer)) /
			   (size_t)cols);
	fflush(stdout);
	fputc('\r', stdout);
	if (up > 0)
		fprintf(stdout, "\033[%dA", up);
	fputs("\033[J", stdout);
	fflush(stdout);
	return 0;
}

/* core.rl_show(): draws the prompt and the line again, below whatever was printed. */
static int l_rl_show(lua_State *L)
{
	(void)L;
	if (!installed)
		return 0;
	fflush(stdout);
	el_set(el, EL_REFRESH);
	return 0;
}

/* core.rl_remove(): drops the line being edited and gives the terminal back. */
static int l_rl_remove(lua_State *L)
{
	(void)L;
	restore_terminal();
	line_state = 0;
	return 0;
}

/* core.stdin_read() -> text ("" at the end of input) | nil, message. One read(2). */
static int l_stdin_read(lua_State *L)
{
	char buf[65536];
	ssize_t n;

	do
		n = read(STDIN_FILENO, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		lua_pushnil(L);
		lua_pushfstring(L, "cannot read the standard input: %s", strerror(errno));
		return 2;
	}
	lua_pushlstring(L, buf, (size_t)n);
	return 1;
}

static const luaL_Reg repl_funcs[] = {
	{ "rl_init", l_rl_init },
	{ "rl_history_load", l_rl_history_load },
	{ "rl_history_add", l_rl_history_add },
	{ "rl_history_save", l_rl_history_save },
	{ "rl_install", l_rl_install },
	{ "rl_read_char", l_rl_read_char },
	{ "rl_hide", l_rl_hide },
	{ "rl_show", l_rl_show },
	{ "rl_remove", l_rl_remove },
	{ "stdin_read", l_stdin_read },
	{ NULL, NULL },
};

void kc_repl_open(lua_State *L)
{
	luaL_register(L, NULL, repl_funcs);
}
