from cprofiler.cli import main

main()
