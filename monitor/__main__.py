from monitor.commands import main

main()
