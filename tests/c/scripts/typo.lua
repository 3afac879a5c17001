-- A misspelt field.
local r = kchaos.slab{
	name = "typo", probabilty = 0.5,
}
