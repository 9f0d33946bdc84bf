"""Background-work primitives the web app owns: the scheduler's leadership lease."""
