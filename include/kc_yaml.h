/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kc_yaml: YAML streams as Lua tables (libyaml), registered in the `kchaos.core` table
 * as yaml_load and yaml_null. Used by the KernelChaos importer (lua/kchaos/import.lua).
 */
#ifndef KC_YAML_H
#define KC_YAML_H

#include <lua.h>

void kc_yaml_open(lua_State *L);

#endif
