-- A site name that is not UTF-8.
kchaos.rule{ site = "\xff\xfeslab", comm = "x" }
