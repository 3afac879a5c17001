-- An error whose value is a table.
error({ code = 5 })
