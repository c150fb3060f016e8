/* Escaping of untrusted text for messages and logs (text.h). */
#include "text.h"

#include <stdbool.h>
#include <stdio.h>

#include "codec_internal.h"

/* Bytes in the UTF-8 sequence a lead byte starts; 1 for anything else
 * (which the validity check then refuses unless it is ASCII). */
static size_t seq_len(uint8_t b)
{
    return b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
}

size_t tnd_text_escape(char *out, size_t cap, const uint8_t *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = seq_len(s[i]);
        bool ok = n <= len - i && tnd_utf8_invalid_at(s + i, n) == n;
        bool control = s[i] < 0x20 || s[i] == 0x7f || s[i] == '"' || s[i] == '\\' ||
                       (s[i] == 0xc2 && n == 2 && i + 1 < len && s[i + 1] < 0xa0);
        if (ok && !control) {
            if (o + n >= cap)
                break;
            for (size_t k = 0; k < n; k++)
                out[o++] = (char)s[i + k];
            i += n;
            continue;
        }
        /* A bad or control sequence: its bytes one by one (a valid C1
         * character is two bytes, both escaped). */
        size_t m = ok ? n : 1;
        if (o + 4 * m >= cap)
            break;
        for (size_t k = 0; k < m; k++, o += 4)
            snprintf(out + o, 5, "\\x%02x", s[i + k]);
        i += m;
    }
    if (cap > 0)
        out[o < cap ? o : cap - 1] = '\0';
    return o;
}
