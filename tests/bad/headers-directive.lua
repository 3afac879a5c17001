-- A header that smuggles a second directive.
kchaos.slab{ comm = "x", headers = { "linux/fs.h>\n#define evil 1\n#include <linux/fs.h" } }
