/*
 * fx_acm.h - certificate fixtures shared by unit tests (made with the openssl command line,
 * valid until 2036): a P-256 CA, a server certificate it signed (serial 0x1234, SAN
 * vpn.example.test) with its key, and an unrelated key. Include once per test program.
 */
#ifndef GH_TEST_FX_ACM_H
#define GH_TEST_FX_ACM_H

static const char FX_CA[] = "-----BEGIN CERTIFICATE-----\n"
                            "MIIBeDCCAR+gAwIBAgIUdc+1zP64x2JRdaUj+qj2j4y/ddIwCgYIKoZIzj0EAwIw\n"
                            "EjEQMA4GA1UEAwwHVGVzdCBDQTAeFw0yNjExMjQxMjE1NTJaFw0zNjExMjExMjE1\n"
                            "NTJaMBIxEDAOBgNVBAMMB1Rlc3QgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC\n"
                            "AAT5ifTLYSVI/C4T8Xztd/IZt20xUpOGnSD3aiaorxJgd0VDUnOQSlsfZ7Mz3GfA\n"
                            "4EQC9HLncowdRh/1OmAi/Xcqo1MwUTAdBgNVHQ4EFgQUJMyL7Pk5xqaNKnojgDgH\n"
                            "H8pqQ58wHwYDVR0jBBgwFoAUJMyL7Pk5xqaNKnojgDgHH8pqQ58wDwYDVR0TAQH/\n"
                            "BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiAk/ZbBC82x3bEXy/VB40qpiYwjRXMV\n"
                            "jtXi+7aYkNCztgIgPBOlln/3mD00YLlK3gkKZKRMQ64Cr6ePBrDn8262rvw=\n"
                            "-----END CERTIFICATE-----\n";

static const char FX_SRV_CRT[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBfTCCASKgAwIBAgICEjQwCgYIKoZIzj0EAwIwEjEQMA4GA1UEAwwHVGVzdCBD\n"
    "QTAeFw0yNjExMjQxMjE1NTJaFw0zNjExMjExMjE1NTJaMBsxGTAXBgNVBAMMEHZw\n"
    "bi5leGFtcGxlLnRlc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAS0eqev0ix7\n"
    "EBO6ib8hAsFN8FE5YkWQlW9EsOwmB9bKQIM5DQZlO5+d1iQSYjp3CDJ4nvMHDYAJ\n"
    "Lv6LRLuW61Zeo18wXTAbBgNVHREEFDASghB2cG4uZXhhbXBsZS50ZXN0MB0GA1Ud\n"
    "DgQWBBQ6ZgK7PyO/lfUCdgCIUjFfYrHB6jAfBgNVHSMEGDAWgBQkzIvs+TnGpo0q\n"
    "eiOAOAcfympDnzAKBggqhkjOPQQDAgNJADBGAiEAjXRbRFKvzlFItXBHas1JeM90\n"
    "mpIFAN8I+24CPnjSB1YCIQDJjMQXIV4U8EjWBTSJcFEezQsui1xpP2v/JdNdp6GI\n"
    "Dw==\n"
    "-----END CERTIFICATE-----\n";

static const char FX_SRV_KEY[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgXJ1obwhxqy93HeLH\n"
    "DD67LRlOKHSRUsjS+TQoKe6yuEGhRANCAAS0eqev0ix7EBO6ib8hAsFN8FE5YkWQ\n"
    "lW9EsOwmB9bKQIM5DQZlO5+d1iQSYjp3CDJ4nvMHDYAJLv6LRLuW61Ze\n"
    "-----END PRIVATE KEY-----\n";

static const char FX_OTHER_KEY[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg0DbZyJHm2CG7T3mo\n"
    "VEnHMCI9uDAAhIsDG1wX0gSCyG+hRANCAAQ0xBDHQJ73pa8L+ZkdwxWmpoeNWUOL\n"
    "lTlUAA1lz6f9BYDnppYNAZCY0rnzfvq8KW0yIrKxSSD9agkSpXs6Pc4o\n"
    "-----END PRIVATE KEY-----\n";

#endif
