from shotlog.cli import main

main()
