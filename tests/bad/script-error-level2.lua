-- error(msg, 2) in the main chunk blames its caller: that is no line of the script,
-- and no line of kchaos either.
error("blame the caller", 2)
