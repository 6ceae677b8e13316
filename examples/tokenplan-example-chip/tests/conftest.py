pytest_plugins = ["tokenplan.testing"]
