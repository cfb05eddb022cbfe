"""`python -m ledger`: the same command as `ledger`, reachable even where another program named `ledger`
(ledger-cli, the plain-text accounting tool) comes first on PATH."""

from ledger.cli import main

if __name__ == "__main__":
    main()
