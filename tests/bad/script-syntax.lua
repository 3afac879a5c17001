-- A syntax error.
local x = = 1
