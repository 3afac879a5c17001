// SPDX-License-Identifier: GPL-2.0-only
/*
 * kc_repl: line editing for the REPL, a thin binding of libedit's readline interface used
 * in callback mode: Lua polls stdin with the event loop and feeds each keystroke to
 * rl_read_char, so injections and timers go on while a line is edited. Completion asks a
 * Lua function registered by rl_init; everything else about lines is decided in Lua.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>
#include <lauxlib.h>

#include "kc_log.h"
#include "kc_repl.h"

#define COMPLETER_KEY "kchaos.repl_completer"

/* Characters that end a word for completion: '.' and ':' stay in, so "kchaos.sl" is one. */
static const char word_breaks[] = " \t\n\"'`@$><=;|&{}()[],+-*/%^~#";

static int initialized;
static int installed;		/* a prompt is up and libedit owns the terminal */
static size_t prompt_len;
static char *line_done;		/* the line libedit handed over, until rl_read_char returns it */
static int line_state;		/* 0: editing, 1: a line is ready, 2: end of input */

/* The state completion runs in: set only while rl_read_char feeds libedit. */
static lua_State *complete_state;

static void on_line(char *line)
{
	free(line_done);
	line_done = line;
	line_state = line ? 1 : 2;
	installed = 0;		/* libedit has put the terminal back in cooked mode */
}

/* Builds libedit's match list: [0] what replaces the word, [1..n] the candidates. */
static char **to_matches(lua_State *L, int list, int prefix)
{
	int n = (int)lua_objlen(L, list);
	char **m;

	if (n == 0 || !(m = calloc((size_t)n + 2, sizeof(*m))))
		return NULL;
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(L, list, i);
		m[i] = strdup(lua_isstring(L, -1) ? lua_tostring(L, -1) : "");
		lua_pop(L, 1);
	}
	m[0] = strdup(n == 1 ? m[1] : lua_isstring(L, prefix) ? lua_tostring(L, prefix) : "");
	for (int i = 0; i <= n; i++) {
		if (m[i])
			continue;
		for (int j = 0; j <= n; j++)
			free(m[j]);
		free(m);
		return NULL;
	}
	return m;
}

/*
 * libedit's completion hook: calls completer(line, start, stop) -> candidates, prefix.
 * This is the one place C calls Lua outside main's protected path: it runs inside a
 * libedit call, so it has its own lua_pcall, and an error only means no completion.
 */
static char **complete(const char *text, int start, int end)
{
	lua_State *L = complete_state;
	char **matches = NULL;
	int top;

	(void)text;
	rl_attempted_completion_over = 1;	/* never fall back to file names */
	if (!L)
		return NULL;
	top = lua_gettop(L);
	lua_getfield(L, LUA_REGISTRYINDEX, COMPLETER_KEY);
	if (!lua_isfunction(L, -1))
		goto out;
	lua_pushstring(L, rl_line_buffer ? rl_line_buffer : "");
	lua_pushinteger(L, start);
	lua_pushinteger(L, end);
	if (lua_pcall(L, 3, 2, 0) != 0) {
		kc_debug("completion: %s", lua_tostring(L, -1));
		goto out;
	}
	if (lua_istable(L, top + 1))
		matches = to_matches(L, top + 1, top + 2);
out:
	lua_settop(L, top);
	return matches;
}

/* At exit, whatever the path: the terminal goes back to the mode it was in. */
static void restore_terminal(void)
{
	if (installed) {
		rl_callback_handler_remove();
		installed = 0;
	}
}

/* core.rl_init(completer): sets libedit up once; completer(line, start, stop) completes. */
static int l_rl_init(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_pushvalue(L, 1);
	lua_setfield(L, LUA_REGISTRYINDEX, COMPLETER_KEY);
	if (initialized)
		return 0;

	/* Signals stay ours: libedit would otherwise re-send them to the process group. */
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_readline_name = "kchaos-lua";
	rl_instream = stdin;
	rl_outstream = stdout;
	using_history();

	rl_attempted_completion_function = complete;
	rl_basic_word_break_characters = word_breaks;
	rl_completion_append_character = '\0';
	rl_completion_query_items = 1000;	/* Lua caps the list; never ask "display all?" */
	atexit(restore_terminal);
	initialized = 1;
	return 0;
}

/* core.rl_history_load(path, max) -> true | nil, message. Keeps at most max lines. */
static int l_rl_history_load(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	int max = (int)luaL_checkinteger(L, 2);
	int err;

	stifle_history(max);
	err = read_history(path);
	if (err && err != ENOENT) {
		lua_pushnil(L);
		lua_pushfstring(L, "cannot read %s: %s", path, strerror(err));
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* core.rl_history_add(line) */
static int l_rl_history_add(lua_State *L)
{
	add_history(luaL_checkstring(L, 1));
	return 0;
}

/* core.rl_history_save(path) -> true | nil, message. A new file is private (0600). */
static int l_rl_history_save(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	int err;

	if (fd < 0) {
		err = errno;
		goto fail;
	}
	close(fd);
	err = write_history(path);
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
	const char *prompt = luaL_checkstring(L, 1);

	fflush(stdout);
	free(line_done);
	line_done = NULL;
	line_state = 0;
	prompt_len = strlen(prompt);
	rl_callback_handler_install(prompt, on_line);
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
 * core.rl_read_char() -> line | false | nil
 * Feeds libedit every key waiting on stdin: returns the line once one is complete, false
 * at the end of input (Ctrl-D on an empty line, or the terminal went away), nil otherwise.
 */
static int l_rl_read_char(lua_State *L)
{
	short rev = 0;

	if (!installed)
		return luaL_error(L, "rl_read_char: no prompt is installed");
	complete_state = L;
	while (line_state == 0 && stdin_pending(&rev)) {
		if ((rev & (POLLHUP | POLLERR | POLLNVAL)) && !(rev & POLLIN)) {
			line_state = 2;
			break;
		}
		rl_callback_read_char();
		if (rev & POLLHUP)
			line_state = line_state ? line_state : 2;
	}
	complete_state = NULL;

	switch (line_state) {
	case 1:
		lua_pushstring(L, line_done);
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
	int rows = 0, cols = 0, up = 0;

	(void)L;
	if (!installed)
		return 0;
	rl_resize_terminal();	/* the window may have changed since the prompt went up */
	rl_get_screen_size(&rows, &cols);
	if (cols > 0)
		up = (int)((prompt_len + (size_t)rl_point) / (size_t)cols);
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
	rl_forced_update_display();
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
