-- A ring buffer size that is not a power of two.
kchaos.ring_pages(3)
