"""The package the test book imports."""

VALUE = 1
