import HullCLI
HullMain.exit()
