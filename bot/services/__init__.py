"""Domain services: they apply the rules and call the repositories; they never see an Update."""
