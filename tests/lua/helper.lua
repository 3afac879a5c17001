-- SPDX-License-Identifier: GPL-2.0-only
-- busted helper for the pure-Lua specs: puts the library under lua/ on package.path.
-- Run from the repository root: busted --lua=luajit --helper=tests/lua/helper.lua tests/lua
-- (a ';' in busted's -m option would not survive its re-exec under --lua, hence this file).
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
-- The YAML binding, built by make as build/kchaos/yaml.so, for the importer specs.
package.cpath = "build/?.so;" .. package.cpath
