-- Prints the arguments it was given.
print("args: " .. table.concat(arg, " ") .. " " .. #arg)
