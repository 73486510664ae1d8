"""Pure domain rules: no I/O, no Telegram, no database. Unit-tested on their own."""
