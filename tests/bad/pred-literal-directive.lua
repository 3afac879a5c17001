-- A carriage return inside a literal would start a preprocessor line in the program.
kchaos.slab{ comm = "x", callchain = { { predicate = "gfpflags == '\r#include \"/etc/hostname\"\r'" } } }
