-- A comm with a newline.
kchaos.slab{ comm = "a\nb" }
