-- An error raised by the script.
error("the script gave up")
