"""The committees' reports (issue 12). :mod:`.model` is the data every report is made of."""
