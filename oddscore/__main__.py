from oddscore.cli.app import main

main()
