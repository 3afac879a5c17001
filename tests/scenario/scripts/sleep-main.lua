kchaos.sleep("1s")
