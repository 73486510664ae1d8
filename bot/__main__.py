"""``python -m bot`` runs the same CLI as the ``cadrebot`` console script."""

from bot.cli import main

raise SystemExit(main())
