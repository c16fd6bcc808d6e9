from vwf.cli import main

main()
