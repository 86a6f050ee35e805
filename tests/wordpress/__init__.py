"""Real-WordPress test harness: seeded sites served by PHP, and checks of the harness itself."""
