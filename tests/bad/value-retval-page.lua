-- A retval that does not fit the page site's TRUE type.
kchaos.page{ comm = "x", retval = -12 }
