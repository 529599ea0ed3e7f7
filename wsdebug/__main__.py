from wsdebug.cli import main

main()
