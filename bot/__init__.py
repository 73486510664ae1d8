"""cadrebot: the application (config, wiring, domain services, scheduler, delivery)."""
