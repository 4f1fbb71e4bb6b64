/* LeakSanitizer's built-in suppressions for the lrnn tool (read only in sanitizer builds, e.g.
 * CI's -DLRNN_SANITIZE=ON; an unused function otherwise).
 *
 * fontconfig, loaded by cairo for the text of figures (src/plot), parses its configuration and
 * caches font patterns once per process and frees them only in FcFini(), which a library cannot
 * call safely on behalf of its host. Those blocks are bounded (about 1 KB) and not lrnn's; lrnn's
 * own cairo objects are not covered, so a figure that is not freed is still reported. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
    return "leak:libfontconfig.so\n";
}
