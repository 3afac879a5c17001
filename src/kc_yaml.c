// SPDX-License-Identifier: GPL-2.0-only
/*
 * kc_yaml: YAML to Lua through libyaml's event parser. core.yaml_load(text) returns the
 * documents of a stream as plain Lua values and the source position of every value in
 * them; a malformed stream gives nil and a message with its line and column.
 */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <yaml.h>

#include "kc_yaml.h"

/* Nesting deeper than this is refused: it bounds the C recursion and the Lua stack. */
#define KC_YAML_MAX_DEPTH 64
#define KC_YAML_MT "kchaos.yaml_parser"

/* The sentinel that stands for a YAML null (a Lua nil would leave holes in lists). */
#define KC_YAML_NULL ((void *)0)

struct kc_yaml {
	yaml_parser_t parser;
	yaml_event_t event;
	int have_parser;
	int have_event;
	int marks;		/* stack index of the table of positions */
	int anchors;		/* stack index of the anchors of the current document */
	char msg[320];
	size_t line, column;	/* 1-based position of the error */
};

/* Releases the parser and the last event; safe to call twice (also the __gc). */
static void yaml_release(struct kc_yaml *y)
{
	if (y->have_event)
		yaml_event_delete(&y->event);
	if (y->have_parser)
		yaml_parser_delete(&y->parser);
	y->have_event = 0;
	y->have_parser = 0;
}

static int l_parser_gc(lua_State *L)
{
	yaml_release(luaL_checkudata(L, 1, KC_YAML_MT));
	return 0;
}

/* An error at `mark`: 0-based libyaml positions become 1-based. */
static int fail_at(struct kc_yaml *y, yaml_mark_t mark, const char *fmt, const char *arg)
{
	snprintf(y->msg, sizeof(y->msg), fmt, arg);
	y->line = mark.line + 1;
	y->column = mark.column + 1;
	return -1;
}

/* The line and column of byte `offset` of the input, for reader errors. */
static void position_of(const char *text, size_t len, size_t offset, size_t *line,
			size_t *column)
{
	*line = 1;
	*column = 1;
	for (size_t i = 0; i < offset && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*column = 1;
		} else {
			(*column)++;
		}
	}
}

static int parser_error(struct kc_yaml *y, const char *text, size_t len)
{
	yaml_parser_t *p = &y->parser;
	const char *problem = p->problem ? p->problem : "malformed YAML";

	if (p->error == YAML_MEMORY_ERROR) {
		snprintf(y->msg, sizeof(y->msg), "not enough memory to parse the YAML");
		y->line = y->column = 0;
		return -1;
	}
	if (p->error == YAML_READER_ERROR) {
		position_of(text, len, p->problem_offset, &y->line, &y->column);
		if (p->problem_value != -1)
			snprintf(y->msg, sizeof(y->msg), "%s (byte 0x%02x)", problem,
				 (unsigned)p->problem_value & 0xff);
		else
			snprintf(y->msg, sizeof(y->msg), "%s", problem);
		return -1;
	}
	y->line = p->problem_mark.line + 1;
	y->column = p->problem_mark.column + 1;
	if (p->context)
		snprintf(y->msg, sizeof(y->msg), "%s (%s that starts at line %zu, column %zu)",
			 problem, p->context, p->context_mark.line + 1,
			 p->context_mark.column + 1);
	else
		snprintf(y->msg, sizeof(y->msg), "%s", problem);
	return -1;
}

static int next_event(struct kc_yaml *y, const char *text, size_t len)
{
	if (y->have_event)
		yaml_event_delete(&y->event);
	y->have_event = 0;
	if (!yaml_parser_parse(&y->parser, &y->event))
		return parser_error(y, text, len);
	y->have_event = 1;
	return 0;
}

/* Whether s[0..n) is all characters of `set`, and not empty. */
static int all_of(const char *s, size_t n, const char *set)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!s[i] || !strchr(set, s[i]))
			return 0;
	return 1;
}

static int is_decimal(const char *s, size_t n)
{
	if (n && (*s == '-' || *s == '+'))
		s++, n--;
	return all_of(s, n, "0123456789");
}

/* [-+]? ( .digits | digits ( . digits? )? ) ( [eE] [-+]? digits )? */
static int is_float(const char *s, size_t n)
{
	size_t i = 0, digits = 0;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, digits++;
	}
	if (!digits)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t exp = 0;

		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, exp++;
		if (!exp)
			return 0;
	}
	return i == n;
}

static int is_one_of(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (strcmp(s, *words) == 0)
			return 1;
	return 0;
}

/* Pushes a number when the plain scalar s[0..n) is one (YAML 1.2 core schema). */
static int push_number(lua_State *L, const char *s, size_t n)
{
	static const char *const inf[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
					   NULL };
	static const char *const ninf[] = { "-.inf", "-.Inf", "-.INF", NULL };
	static const char *const nan[] = { ".nan", ".NaN", ".NAN", NULL };

	if (is_decimal(s, n) || is_float(s, n)) {
		lua_pushnumber(L, strtod(s, NULL));
		return 1;
	}
	if (n > 2 && s[0] == '0' && s[1] == 'x' && all_of(s + 2, n - 2, "0123456789abcdefABCDEF")) {
		lua_pushnumber(L, (lua_Number)strtoull(s + 2, NULL, 16));
		return 1;
	}
	if (n > 2 && s[0] == '0' && s[1] == 'o' && all_of(s + 2, n - 2, "01234567")) {
		lua_pushnumber(L, (lua_Number)strtoull(s + 2, NULL, 8));
		return 1;
	}
	if (is_one_of(s, inf) || is_one_of(s, ninf) || is_one_of(s, nan)) {
		lua_pushnumber(L, is_one_of(s, nan) ? 0.0 / 0.0 :
			       is_one_of(s, inf) ? 1.0 / 0.0 : -1.0 / 0.0);
		return 1;
	}
	return 0;
}

/* A scalar as a Lua value: quoted or !!str scalars stay strings; plain ones resolve. */
static void push_scalar(lua_State *L, yaml_event_t *ev)
{
	static const char *const null[] = { "~", "null", "Null", "NULL", NULL };
	static const char *const yes[] = { "true", "True", "TRUE", NULL };
	static const char *const no[] = { "false", "False", "FALSE", NULL };
	const char *s = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;

	if (tag && strcmp(tag, YAML_STR_TAG) == 0)
		plain = 0;
	else if (tag && (strcmp(tag, YAML_INT_TAG) == 0 || strcmp(tag, YAML_FLOAT_TAG) == 0 ||
			 strcmp(tag, YAML_BOOL_TAG) == 0 || strcmp(tag, YAML_NULL_TAG) == 0))
		plain = 1;
	if (plain && strlen(s) == n) {
		if (n == 0 || is_one_of(s, null)) {
			lua_pushlightuserdata(L, KC_YAML_NULL);
			return;
		}
		if (is_one_of(s, yes) || is_one_of(s, no)) {
			lua_pushboolean(L, is_one_of(s, yes));
			return;
		}
		if (push_number(L, s, n))
			return;
	}
	lua_pushlstring(L, s, n);
}

/*
 * Records where the container at stack index `t` starts: marks[t] = { line =, column =,
 * lines = {}, columns = {} }, and leaves its `lines` and `columns` tables on the stack.
 * They hold the position of each mapping key, or of each item of a list.
 */
static void push_positions(lua_State *L, struct kc_yaml *y, int t, yaml_mark_t m)
{
	lua_createtable(L, 0, 4);
	lua_pushnumber(L, (lua_Number)m.line + 1);
	lua_setfield(L, -2, "line");
	lua_pushnumber(L, (lua_Number)m.column + 1);
	lua_setfield(L, -2, "column");
	lua_newtable(L);
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, "lines");
	lua_newtable(L);
	lua_pushvalue(L, -1);
	lua_setfield(L, -4, "columns");
	/* stack: ... pos lines columns */
	lua_pushvalue(L, t);
	lua_pushvalue(L, -4);
	lua_rawset(L, y->marks);
	lua_remove(L, -3);
}

/* Sets lines[k] and columns[k] (k on top of the stack, kept) from the current event. */
static void set_position(lua_State *L, struct kc_yaml *y, int lines, int columns)
{
	lua_pushvalue(L, -1);
	lua_pushnumber(L, (lua_Number)y->event.start_mark.line + 1);
	lua_rawset(L, lines);
	lua_pushvalue(L, -1);
	lua_pushnumber(L, (lua_Number)y->event.start_mark.column + 1);
	lua_rawset(L, columns);
}

/* anchors[name] = the value on top of the stack (name is at index `name`, if any). */
static void remember_anchor(lua_State *L, struct kc_yaml *y, int name)
{
	if (lua_isnil(L, name))
		return;
	lua_pushvalue(L, name);
	lua_pushvalue(L, -2);
	lua_rawset(L, y->anchors);
}

static int parse_node(lua_State *L, struct kc_yaml *y, const char *text, size_t len,
		      int depth);

static int parse_sequence(lua_State *L, struct kc_yaml *y, const char *text, size_t len,
			  int depth)
{
	yaml_char_t *anchor = y->event.data.sequence_start.anchor;
	int name, t, lines, columns, i = 0;

	if (anchor)
		lua_pushstring(L, (const char *)anchor);
	else
		lua_pushnil(L);
	name = lua_gettop(L);
	lua_newtable(L);
	t = lua_gettop(L);
	push_positions(L, y, t, y->event.start_mark);
	lines = t + 1;
	columns = t + 2;
	for (;;) {
		if (next_event(y, text, len) < 0)
			return -1;
		if (y->event.type == YAML_SEQUENCE_END_EVENT)
			break;
		lua_pushnumber(L, ++i);
		set_position(L, y, lines, columns);
		if (parse_node(L, y, text, len, depth + 1) < 0)
			return -1;
		lua_rawset(L, t);
	}
	lua_settop(L, t);
	remember_anchor(L, y, name);
	lua_remove(L, name);
	return 0;
}

static int parse_mapping(lua_State *L, struct kc_yaml *y, const char *text, size_t len,
			 int depth)
{
	yaml_char_t *anchor = y->event.data.mapping_start.anchor;
	int name, t, lines, columns;

	if (anchor)
		lua_pushstring(L, (const char *)anchor);
	else
		lua_pushnil(L);
	name = lua_gettop(L);
	lua_newtable(L);
	t = lua_gettop(L);
	push_positions(L, y, t, y->event.start_mark);
	lines = t + 1;
	columns = t + 2;
	for (;;) {
		if (next_event(y, text, len) < 0)
			return -1;
		if (y->event.type == YAML_MAPPING_END_EVENT)
			break;
		/* Keys are strings: a manifest's keys are names, and so no key is nil or NaN. */
		if (y->event.type != YAML_SCALAR_EVENT)
			return fail_at(y, y->event.start_mark, "a mapping key must be a plain "
				       "name, not a %s", y->event.type == YAML_ALIAS_EVENT ?
				       "alias" : "list or mapping");
		lua_pushlstring(L, (const char *)y->event.data.scalar.value,
				y->event.data.scalar.length);
		lua_pushvalue(L, -1);
		lua_rawget(L, t);
		if (!lua_isnil(L, -1))
			return fail_at(y, y->event.start_mark, "duplicate key '%.60s'",
				       (const char *)y->event.data.scalar.value);
		lua_pop(L, 1);
		set_position(L, y, lines, columns);
		if (next_event(y, text, len) < 0)
			return -1;
		if (parse_node(L, y, text, len, depth + 1) < 0)
			return -1;
		lua_rawset(L, t);
	}
	lua_settop(L, t);
	remember_anchor(L, y, name);
	lua_remove(L, name);
	return 0;
}

/* Pushes the value that starts with the current event, or returns -1. */
static int parse_node(lua_State *L, struct kc_yaml *y, const char *text, size_t len,
		      int depth)
{
	yaml_event_t *ev = &y->event;

	if (depth > KC_YAML_MAX_DEPTH)
		return fail_at(y, ev->start_mark, "nesting deeper than %s levels",
			       "64");
	if (!lua_checkstack(L, 16))
		return fail_at(y, ev->start_mark, "%s", "nesting too deep for the Lua stack");

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		push_scalar(L, ev);
		if (ev->data.scalar.anchor) {
			lua_pushstring(L, (const char *)ev->data.scalar.anchor);
			lua_pushvalue(L, -2);
			lua_rawset(L, y->anchors);
		}
		return 0;
	case YAML_ALIAS_EVENT:
		lua_pushstring(L, (const char *)ev->data.alias.anchor);
		lua_rawget(L, y->anchors);
		if (lua_isnil(L, -1))
			return fail_at(y, ev->start_mark, "alias '*%.60s' names no anchor defined "
				       "before it (an alias cannot name its own container)",
				       (const char *)ev->data.alias.anchor);
		return 0;
	case YAML_SEQUENCE_START_EVENT:
		return parse_sequence(L, y, text, len, depth);
	case YAML_MAPPING_START_EVENT:
		return parse_mapping(L, y, text, len, depth);
	default:
		return fail_at(y, ev->start_mark, "%s", "unexpected YAML event");
	}
}

/* Parses every document into the list at stack index `docs`. */
static int parse_stream(lua_State *L, struct kc_yaml *y, const char *text, size_t len,
			int docs)
{
	int n = 0;

	if (next_event(y, text, len) < 0)
		return -1;
	for (;;) {
		if (next_event(y, text, len) < 0)
			return -1;
		if (y->event.type == YAML_STREAM_END_EVENT)
			return 0;
		lua_newtable(L);
		y->anchors = lua_gettop(L);
		if (next_event(y, text, len) < 0)
			return -1;
		if (parse_node(L, y, text, len, 1) < 0)
			return -1;
		lua_rawseti(L, docs, ++n);
		lua_pop(L, 1);
		if (next_event(y, text, len) < 0)
			return -1;
	}
}

/* core.yaml_load(text) -> documents, positions | nil, message, line, column */
static int l_yaml_load(lua_State *L)
{
	size_t len;
	const char *text = luaL_checklstring(L, 1, &len);
	struct kc_yaml *y;
	int docs, status;

	lua_settop(L, 1);
	y = lua_newuserdata(L, sizeof(*y));
	memset(y, 0, sizeof(*y));
	luaL_getmetatable(L, KC_YAML_MT);
	lua_setmetatable(L, -2);
	if (!yaml_parser_initialize(&y->parser))
		return luaL_error(L, "not enough memory for the YAML parser");
	y->have_parser = 1;
	yaml_parser_set_input_string(&y->parser, (const unsigned char *)text, len);

	lua_newtable(L);
	docs = lua_gettop(L);
	lua_newtable(L);
	y->marks = lua_gettop(L);
	status = parse_stream(L, y, text, len, docs);
	yaml_release(y);
	if (status < 0) {
		lua_pushnil(L);
		lua_pushstring(L, y->msg);
		lua_pushnumber(L, (lua_Number)y->line);
		lua_pushnumber(L, (lua_Number)y->column);
		return 4;
	}
	lua_settop(L, y->marks);
	return 2;
}

static const luaL_Reg yaml_funcs[] = {
	{ "yaml_load", l_yaml_load },
	{ NULL, NULL },
};

void kc_yaml_open(lua_State *L)
{
	if (luaL_newmetatable(L, KC_YAML_MT)) {
		lua_pushcfunction(L, l_parser_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_pop(L, 1);
	luaL_register(L, NULL, yaml_funcs);
	lua_pushlightuserdata(L, KC_YAML_NULL);
	lua_setfield(L, -2, "yaml_null");
}

#ifdef KC_YAML_MODULE
/* The same binding as a Lua module ("kchaos.yaml"), for the specs run by busted. */
int luaopen_kchaos_yaml(lua_State *L)
{
	lua_newtable(L);
	kc_yaml_open(L);
	return 1;
}
#endif
