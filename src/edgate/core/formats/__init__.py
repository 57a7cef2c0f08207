"""The portal's own locale formats (settings.FORMAT_MODULE_PATH): dates typed into a form read
the U.S. way (month first) on a page in any language, as every page says ("like 02/17/1991");
Django's Spanish formats would read 09/01/2026 as January 9."""
