/* Unit tests of common/merkle.c: every RFC 6962 / RFC 9162 vector in
 * tests/data/vectors/merkle.txt (copied below), the negative cases of
 * transparency-dev/merkle's test data, and property tests on an in-memory
 * store: every inclusion and consistency proof of trees up to N_PROP leaves
 * verifies, any flipped bit is refused, and proofs cost O(log n) reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tender/audit.h"

struct leaf_vec {
    const char *input; /* hex */
    const char *hash;
};
struct node_vec {
    unsigned level;
    uint64_t index;
    const char *hash;
};
/* An inclusion proof (a = leaf index, b = tree size) or a consistency proof
 * (a = size1, b = size2). */
struct proof_vec {
    uint64_t a, b;
    size_t n;
    const char *h[8];
};

/* ---- vectors, from merkle.txt (sources named there) --------------------- */

/* [leaves] */
static const struct leaf_vec leaves[] = {
    {"", "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"},
    {"00", "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"},
    {"10", "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"},
    {"2021", "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"},
    {"3031", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"},
    {"40414243", "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"},
    {"5051525354555657", "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"},
    {"606162636465666768696a6b6c6d6e6f",
     "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"},
};

/* [node hashes of complete subtrees] */
static const struct node_vec nodes[] = {
    {0, 0, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"},
    {0, 1, "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"},
    {0, 2, "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"},
    {0, 3, "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"},
    {0, 4, "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"},
    {0, 5, "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"},
    {0, 6, "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"},
    {0, 7, "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"},
    {1, 0, "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"},
    {1, 1, "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"},
    {1, 2, "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"},
    {1, 3, "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"},
    {2, 0, "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"},
    {2, 1, "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"},
    {3, 0, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"},
};

/* [roots] */
static const char *const roots[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

/* [published inclusion proofs] */
static const struct proof_vec pub_inclusion[] = {
    {0, 1, 0, {NULL}},
    {0,
     8,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5,
     8,
     3,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 3, 1, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1,
     5,
     3,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

/* [published consistency proofs] */
static const struct proof_vec pub_consistency[] = {
    {1, 1, 0, {NULL}},
    {1,
     8,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     3,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     2,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6,
     7,
     3,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

/* [all inclusion proofs, tree sizes 1..8] */
static const struct proof_vec all_inclusion[] = {
    {0, 1, 0, {NULL}},
    {0, 2, 1, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"}},
    {1, 2, 1, {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"}},
    {0,
     3,
     2,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"}},
    {1,
     3,
     2,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"}},
    {2, 3, 1, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {0,
     4,
     2,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"}},
    {1,
     4,
     2,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"}},
    {2,
     4,
     2,
     {"07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {3,
     4,
     2,
     {"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {0,
     5,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {1,
     5,
     3,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {2,
     5,
     3,
     {"07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {3,
     5,
     3,
     {"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {4, 5, 1, {"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {0,
     6,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"}},
    {1,
     6,
     3,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"}},
    {2,
     6,
     3,
     {"07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"}},
    {3,
     6,
     3,
     {"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"}},
    {4,
     6,
     2,
     {"4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {5,
     6,
     2,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {0,
     7,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e"}},
    {1,
     7,
     3,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e"}},
    {2,
     7,
     3,
     {"07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e"}},
    {3,
     7,
     3,
     {"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e"}},
    {4,
     7,
     3,
     {"4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {5,
     7,
     3,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {6,
     7,
     2,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {0,
     8,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {1,
     8,
     3,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {2,
     8,
     3,
     {"07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {3,
     8,
     3,
     {"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {4,
     8,
     3,
     {"4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {5,
     8,
     3,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {6,
     8,
     3,
     {"46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {7,
     8,
     3,
     {"b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

/* [all consistency proofs, 1 <= size1 < size2 <= 8] */
static const struct proof_vec all_consistency[] = {
    {1, 2, 1, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"}},
    {1,
     3,
     2,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"}},
    {2, 3, 1, {"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"}},
    {1,
     4,
     2,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"}},
    {2, 4, 1, {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"}},
    {3,
     4,
     3,
     {"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
      "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1,
     5,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {2,
     5,
     2,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {3,
     5,
     4,
     {"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
      "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {4, 5, 1, {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {1,
     6,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"}},
    {2,
     6,
     2,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"}},
    {3,
     6,
     4,
     {"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
      "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"}},
    {4, 6, 1, {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"}},
    {5,
     6,
     3,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {1,
     7,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e"}},
    {2,
     7,
     2,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e"}},
    {3,
     7,
     4,
     {"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
      "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e"}},
    {4, 7, 1, {"837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e"}},
    {5,
     7,
     4,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {6,
     7,
     3,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {1,
     8,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {2,
     8,
     2,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {3,
     8,
     4,
     {"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
      "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {4, 8, 1, {"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5,
     8,
     4,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {6,
     8,
     3,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {7,
     8,
     4,
     {"b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

/* ---- helpers ------------------------------------------------------------ */

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = strlen(s) / 2;
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

static void hash_of(const char *hex, uint8_t out[32])
{
    assert_int_equal(unhex(hex, out, 32), 32);
}

static void proof_of(const struct proof_vec *v, uint8_t (*p)[32])
{
    for (size_t i = 0; i < v->n; i++)
        hash_of(v->h[i], p[i]);
}

#define MAX_LEAVES 16384
#define LEVELS 15

/* An in-memory node store. limit is the tree size the code under test was
 * given: reading a subtree beyond it, or one never stored, fails the test. */
typedef struct mem_tree {
    uint8_t h[LEVELS][MAX_LEAVES][32];
    uint8_t present[LEVELS][MAX_LEAVES];
    uint64_t size;  /* leaves appended */
    uint64_t limit; /* largest leaf count the current query may touch */
    unsigned long gets, puts;
    int fail_get; /* when non-zero, get returns it */
} mem_tree;

static int mem_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
    mem_tree *t = ctx;
    t->gets++;
    if (t->fail_get)
        return t->fail_get;
    assert_true(level < LEVELS);
    assert_true(index < MAX_LEAVES);
    assert_true((index + 1) << level <= t->limit);
    assert_true(t->present[level][index]);
    memcpy(out, t->h[level][index], 32);
    return 0;
}

static int mem_put(void *ctx, unsigned level, uint64_t index, const uint8_t h[32])
{
    mem_tree *t = ctx;
    t->puts++;
    assert_true(level < LEVELS && index < MAX_LEAVES);
    assert_false(t->present[level][index]); /* append-only: written once */
    memcpy(t->h[level][index], h, 32);
    t->present[level][index] = 1;
    return 0;
}

static mem_tree *mem_new(void)
{
    mem_tree *t = calloc(1, sizeof *t);
    assert_non_null(t);
    return t;
}

static void mem_append(mem_tree *t, const uint8_t leaf[32])
{
    t->limit = t->size + 1;
    assert_int_equal(tnd_merkle_append(mem_get, mem_put, t, t->size, leaf), 0);
    t->size++;
}

/* The tree of the 8 vector leaves. */
static mem_tree *vector_tree(void)
{
    mem_tree *t = mem_new();
    for (size_t i = 0; i < 8; i++) {
        uint8_t h[32];
        hash_of(leaves[i].hash, h);
        mem_append(t, h);
    }
    return t;
}

/* Leaf i of the property-test trees. */
static void prop_leaf(uint64_t i, uint8_t out[32])
{
    char data[32];
    int n = snprintf(data, sizeof data, "leaf %llu", (unsigned long long)i);
    assert_int_equal(tnd_merkle_leaf_hash((const uint8_t *)data, (size_t)n, out), 0);
}

/* RFC 6962 MTH straight from the definition, for cross-checks. */
static void naive_mth(uint8_t (*lh)[32], uint64_t n, uint8_t out[32])
{
    if (n == 0) {
        assert_int_equal(tnd_merkle_empty_root(out), 0);
        return;
    }
    if (n == 1) {
        memcpy(out, lh[0], 32);
        return;
    }
    uint64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    uint8_t l[32], r[32];
    naive_mth(lh, k, l);
    naive_mth(lh + k, n - k, r);
    assert_int_equal(tnd_merkle_node_hash(l, r, out), 0);
}

static unsigned ceil_log2(uint64_t n)
{
    unsigned b = 0;
    while ((UINT64_C(1) << b) < n)
        b++;
    return b;
}

/* ---- hashing ------------------------------------------------------------ */

static void test_hashes(void **state)
{
    (void)state;
    uint8_t h[32], want[32];
    assert_int_equal(tnd_merkle_empty_root(h), 0);
    hash_of("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want);
    assert_memory_equal(h, want, 32);
    assert_int_equal(tnd_merkle_leaf_hash(NULL, 0, h), 0);
    hash_of("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", want);
    assert_memory_equal(h, want, 32);
    assert_int_equal(tnd_merkle_leaf_hash((const uint8_t *)"L123456", 7, h), 0);
    hash_of("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56", want);
    assert_memory_equal(h, want, 32);

    for (size_t i = 0; i < sizeof leaves / sizeof *leaves; i++) {
        uint8_t in[64];
        size_t n = unhex(leaves[i].input, in, sizeof in);
        assert_int_equal(tnd_merkle_leaf_hash(in, n, h), 0);
        hash_of(leaves[i].hash, want);
        assert_memory_equal(h, want, 32);
    }
    /* Every inner node of the vector tree is the node hash of its children. */
    for (size_t i = 8; i < sizeof nodes / sizeof *nodes; i++) {
        uint8_t l[32], r[32];
        for (size_t j = 0; j < sizeof nodes / sizeof *nodes; j++) {
            if (nodes[j].level + 1 != nodes[i].level)
                continue;
            if (nodes[j].index == 2 * nodes[i].index)
                hash_of(nodes[j].hash, l);
            if (nodes[j].index == 2 * nodes[i].index + 1)
                hash_of(nodes[j].hash, r);
        }
        assert_int_equal(tnd_merkle_node_hash(l, r, h), 0);
        hash_of(nodes[i].hash, want);
        assert_memory_equal(h, want, 32);
    }
    assert_int_equal(tnd_merkle_leaf_hash(NULL, 1, h), TND_EINVAL);
    assert_int_equal(tnd_merkle_node_hash(NULL, h, h), TND_EINVAL);
}

/* Appending the 8 leaves stores exactly the published complete subtrees, and
 * the roots of every prefix match. */
static void test_append_and_roots(void **state)
{
    (void)state;
    mem_tree *t = vector_tree();
    size_t stored = 0;
    for (unsigned l = 0; l < LEVELS; l++)
        for (size_t i = 0; i < MAX_LEAVES; i++)
            stored += t->present[l][i];
    assert_int_equal(stored, sizeof nodes / sizeof *nodes);
    for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++) {
        uint8_t want[32];
        hash_of(nodes[i].hash, want);
        assert_true(t->present[nodes[i].level][nodes[i].index]);
        assert_memory_equal(t->h[nodes[i].level][nodes[i].index], want, 32);
    }
    for (uint64_t size = 0; size <= 8; size++) {
        uint8_t h[32], want[32];
        t->limit = size;
        assert_int_equal(tnd_merkle_root(mem_get, t, size, h), 0);
        hash_of(roots[size], want);
        assert_memory_equal(h, want, 32);
    }
    free(t);
}

/* ---- vector proofs ------------------------------------------------------ */

static void check_inclusion_vectors(mem_tree *t, const struct proof_vec *v, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        uint8_t want[8][32], got[TND_MERKLE_MAX_PROOF][32], leaf[32], root[32];
        size_t len = 99;
        proof_of(&v[i], want);
        t->limit = v[i].b;
        assert_int_equal(
            tnd_merkle_prove_inclusion(mem_get, t, v[i].a, v[i].b, got, TND_MERKLE_MAX_PROOF, &len),
            0);
        assert_int_equal(len, v[i].n);
        if (len > 0)
            assert_memory_equal(got, want, len * 32);
        hash_of(leaves[v[i].a].hash, leaf);
        hash_of(roots[v[i].b], root);
        assert_int_equal(tnd_merkle_verify_inclusion(v[i].a, v[i].b, leaf,
                                                     (const uint8_t(*)[32])want, v[i].n, root),
                         0);
    }
}

static void check_consistency_vectors(mem_tree *t, const struct proof_vec *v, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        uint8_t want[8][32], got[TND_MERKLE_MAX_PROOF][32], r1[32], r2[32];
        size_t len = 99;
        proof_of(&v[i], want);
        t->limit = v[i].b;
        assert_int_equal(tnd_merkle_prove_consistency(mem_get, t, v[i].a, v[i].b, got,
                                                      TND_MERKLE_MAX_PROOF, &len),
                         0);
        assert_int_equal(len, v[i].n);
        if (len > 0)
            assert_memory_equal(got, want, len * 32);
        hash_of(roots[v[i].a], r1);
        hash_of(roots[v[i].b], r2);
        assert_int_equal(tnd_merkle_verify_consistency(v[i].a, v[i].b, r1, r2,
                                                       (const uint8_t(*)[32])want, v[i].n),
                         0);
    }
}

static void test_vector_proofs(void **state)
{
    (void)state;
    mem_tree *t = vector_tree();
    check_inclusion_vectors(t, pub_inclusion, sizeof pub_inclusion / sizeof *pub_inclusion);
    check_inclusion_vectors(t, all_inclusion, sizeof all_inclusion / sizeof *all_inclusion);
    check_consistency_vectors(t, pub_consistency, sizeof pub_consistency / sizeof *pub_consistency);
    check_consistency_vectors(t, all_consistency, sizeof all_consistency / sizeof *all_consistency);
    free(t);
}

/* ---- negative cases (transparency-dev/merkle testdata mutations) -------- */

static int incl(uint64_t index, uint64_t size, const uint8_t leaf[32], uint8_t (*p)[32], size_t n,
                const uint8_t root[32])
{
    return tnd_merkle_verify_inclusion(index, size, leaf, (const uint8_t(*)[32])p, n, root);
}

static int cons(uint64_t s1, uint64_t s2, const uint8_t r1[32], const uint8_t r2[32],
                uint8_t (*p)[32], size_t n)
{
    return tnd_merkle_verify_consistency(s1, s2, r1, r2, (const uint8_t(*)[32])p, n);
}

static void test_inclusion_negative(void **state)
{
    (void)state;
    const struct proof_vec *all = all_inclusion;
    for (size_t i = 0; i < sizeof all_inclusion / sizeof *all_inclusion; i++) {
        const struct proof_vec *v = &all[i];
        uint64_t idx = v->a, size = v->b;
        size_t n = v->n;
        uint8_t p[10][32], q[10][32], leaf[32], root[32], other[32];
        proof_of(v, p);
        hash_of(leaves[idx].hash, leaf);
        hash_of(roots[size], root);
        hash_of(roots[size == 8 ? 7 : size + 1], other);
        assert_int_equal(incl(idx, size, leaf, p, n, root), 0);

        for (size_t j = 0; j < n; j++) { /* modified-proof: flip a bit of each hash */
            memcpy(q, p, sizeof p);
            q[j][4] ^= 0x10;
            assert_int_equal(incl(idx, size, leaf, q, n, root), TND_ECRYPTO);
        }
        /* preceding-garbage, trailing-garbage */
        memcpy(q[0], other, 32);
        memcpy(q + 1, p, n * 32);
        assert_int_not_equal(incl(idx, size, leaf, q, n + 1, root), 0);
        memcpy(q, p, sizeof p);
        memcpy(q[n], other, 32);
        assert_int_not_equal(incl(idx, size, leaf, q, n + 1, root), 0);
        /* wrong-root, wrong leaf, truncated-proof, empty-proof */
        assert_int_equal(incl(idx, size, leaf, p, n, other), TND_ECRYPTO);
        assert_int_equal(incl(idx, size, other, p, n, root), TND_ECRYPTO);
        if (n > 0) {
            assert_int_not_equal(incl(idx, size, leaf, p, n - 1, root), 0);
            assert_int_not_equal(incl(idx, size, leaf, NULL, 0, root), 0);
        }
        assert_int_not_equal(incl(idx + 1, size, leaf, p, n, root), 0);
        if (idx > 0)
            assert_int_not_equal(incl(idx - 1, size, leaf, p, n, root), 0);
    }
    /* Wrong tree sizes (upstream: size * 2, size / 2), on the published cases.
     * Not size +- 1, nor on every case: a proof can hold for two sizes with
     * the same root (leaf 0 of 3 and of 4 with the root of 3; leaf 0 of 7 and
     * of 8 with the root of 8), which is why a size and a root are only
     * trusted together, from one signed checkpoint. */
    for (size_t i = 0; i < sizeof pub_inclusion / sizeof *pub_inclusion; i++) {
        const struct proof_vec *v = &pub_inclusion[i];
        uint64_t idx = v->a, size = v->b;
        uint8_t p[8][32], leaf[32], root[32];
        proof_of(v, p);
        hash_of(leaves[idx].hash, leaf);
        hash_of(roots[size], root);
        assert_int_not_equal(incl(idx, size * 2, leaf, p, v->n, root), 0);
        assert_int_not_equal(incl(idx, size / 2, leaf, p, v->n, root), 0);
    }
    /* Bad arguments. */
    uint8_t h[32] = {0}, p[65][32] = {{0}};
    assert_int_equal(incl(0, 0, h, NULL, 0, h), TND_EINVAL); /* empty tree */
    assert_int_equal(incl(5, 5, h, NULL, 0, h), TND_EINVAL);
    assert_int_equal(incl(0, 1, h, NULL, 1, h), TND_EINVAL);
    assert_int_equal(tnd_merkle_verify_inclusion(0, 1, NULL, NULL, 0, h), TND_EINVAL);
    assert_int_equal(tnd_merkle_verify_inclusion(0, 1, h, NULL, 0, NULL), TND_EINVAL);
    assert_int_equal(incl(0, TND_MERKLE_MAX_SIZE + 1, h, p, 1, h), TND_ERANGE);
    assert_int_equal(incl(0, TND_MERKLE_MAX_SIZE, h, p, 65, h), TND_ECRYPTO);
    /* A one-leaf tree: the root is the leaf hash; any proof is too long. */
    assert_int_equal(incl(0, 1, h, NULL, 0, h), 0);
    assert_int_equal(incl(0, 1, h, p, 1, h), TND_ECRYPTO);
}

static void test_consistency_negative(void **state)
{
    (void)state;
    const struct proof_vec *all = all_consistency;
    for (size_t i = 0; i < sizeof all_consistency / sizeof *all_consistency; i++) {
        const struct proof_vec *v = &all[i];
        uint64_t s1 = v->a, s2 = v->b;
        size_t n = v->n;
        uint8_t p[10][32], q[10][32], r1[32], r2[32], other[32];
        proof_of(v, p);
        hash_of(roots[s1], r1);
        hash_of(roots[s2], r2);
        hash_of(roots[0], other);
        assert_int_equal(cons(s1, s2, r1, r2, p, n), 0);

        for (size_t j = 0; j < n; j++) { /* modified-proof */
            memcpy(q, p, sizeof p);
            q[j][4] ^= 0x10;
            assert_int_equal(cons(s1, s2, r1, r2, q, n), TND_ECRYPTO);
        }
        memcpy(q[0], other, 32); /* preceding-garbage */
        memcpy(q + 1, p, n * 32);
        assert_int_not_equal(cons(s1, s2, r1, r2, q, n + 1), 0);
        memcpy(q, p, sizeof p); /* trailing-garbage */
        memcpy(q[n], other, 32);
        assert_int_not_equal(cons(s1, s2, r1, r2, q, n + 1), 0);
        /* wrong roots, swapped-roots, truncated-proof, empty-proof */
        assert_int_equal(cons(s1, s2, other, r2, p, n), TND_ECRYPTO);
        assert_int_equal(cons(s1, s2, r1, other, p, n), TND_ECRYPTO);
        assert_int_not_equal(cons(s1, s2, r2, r1, p, n), 0);
        assert_int_not_equal(cons(s1, s2, r1, r2, p, n - 1), 0);
        assert_int_not_equal(cons(s1, s2, r1, r2, NULL, 0), 0);
        /* additional/: size1 > size2, size1 == 0, equal sizes with a proof */
        assert_int_equal(cons(s2, s1, r2, r1, p, n), TND_EINVAL);
        assert_int_equal(cons(0, s2, other, r2, p, n), TND_EINVAL);
        assert_int_equal(cons(0, s2, other, r2, NULL, 0), TND_EINVAL);
        assert_int_equal(cons(s2, s2, r2, r2, p, n), TND_ECRYPTO);
        assert_int_equal(cons(s1, s1, r1, r1, p, n), TND_ECRYPTO);
    }
    /* size1-plus-1, size1-sub-1, size2-mul-2, size2-div-2 on the published cases. */
    for (size_t i = 0; i < sizeof pub_consistency / sizeof *pub_consistency; i++) {
        const struct proof_vec *v = &pub_consistency[i];
        uint64_t s1 = v->a, s2 = v->b;
        uint8_t p[8][32], r1[32], r2[32];
        proof_of(v, p);
        hash_of(roots[s1], r1);
        hash_of(roots[s2], r2);
        assert_int_not_equal(cons(s1 + 1, s2, r1, r2, p, v->n), 0);
        assert_int_not_equal(cons(s1 - 1, s2, r1, r2, p, v->n), 0);
        assert_int_not_equal(cons(s1, s2 * 2, r1, r2, p, v->n), 0);
        assert_int_not_equal(cons(s1, s2 / 2, r1, r2, p, v->n), 0);
    }
    /* Equal sizes: the empty proof holds exactly when the roots are equal. */
    uint8_t a[32], b[32], p[65][32] = {{0}};
    hash_of(roots[5], a);
    hash_of(roots[6], b);
    assert_int_equal(cons(5, 5, a, a, NULL, 0), 0);
    assert_int_equal(cons(5, 5, a, b, NULL, 0), TND_ECRYPTO);
    assert_int_equal(cons(0, 0, a, a, NULL, 0), 0);
    assert_int_equal(cons(0, 0, a, b, NULL, 0), TND_ECRYPTO);
    assert_int_equal(cons(1, 2, a, b, NULL, 1), TND_EINVAL);
    assert_int_equal(tnd_merkle_verify_consistency(1, 2, NULL, b, NULL, 0), TND_EINVAL);
    assert_int_equal(cons(1, TND_MERKLE_MAX_SIZE + 1, a, b, p, 1), TND_ERANGE);
    assert_int_equal(cons(3, 5, a, b, p, 65), TND_ECRYPTO);
}

/* ---- properties on larger trees ----------------------------------------- */

#define N_PROP 200

static mem_tree *prop_tree(uint8_t (*lh)[32])
{
    mem_tree *t = mem_new();
    for (uint64_t i = 0; i < N_PROP; i++) {
        prop_leaf(i, lh[i]);
        unsigned long puts = t->puts;
        mem_append(t, lh[i]);
        /* One put for the leaf and one per newly completed parent. */
        assert_int_equal(t->puts - puts, 1 + (unsigned)__builtin_ctzll(~i));
    }
    return t;
}

static void test_roots_match_definition(void **state)
{
    (void)state;
    uint8_t(*lh)[32] = calloc(N_PROP, 32);
    assert_non_null(lh);
    mem_tree *t = prop_tree(lh);
    for (uint64_t size = 0; size <= N_PROP; size++) {
        uint8_t got[32], want[32];
        naive_mth(lh, size, want);
        t->limit = size;
        t->gets = 0;
        assert_int_equal(tnd_merkle_root(mem_get, t, size, got), 0);
        assert_memory_equal(got, want, 32);
        assert_int_equal(t->gets, (unsigned long)__builtin_popcountll(size));
        /* Every aligned range is the MTH of its leaves. */
        for (uint64_t begin = 0; begin < size; begin++) {
            uint64_t n = size - begin, top = 1;
            while (top * 2 <= n)
                top *= 2;
            int rc = tnd_merkle_subtree_hash(mem_get, t, begin, size, got);
            if (begin % top != 0) {
                assert_int_equal(rc, TND_EINVAL);
                continue;
            }
            assert_int_equal(rc, 0);
            naive_mth(lh + begin, n, want);
            assert_memory_equal(got, want, 32);
        }
    }
    free(t);
    free(lh);
}

static void test_inclusion_properties(void **state)
{
    (void)state;
    uint8_t(*lh)[32] = calloc(N_PROP, 32);
    assert_non_null(lh);
    mem_tree *t = prop_tree(lh);
    for (uint64_t size = 1; size <= N_PROP; size++) {
        uint8_t root[32];
        t->limit = size;
        assert_int_equal(tnd_merkle_root(mem_get, t, size, root), 0);
        for (uint64_t idx = 0; idx < size; idx++) {
            uint8_t p[TND_MERKLE_MAX_PROOF][32];
            size_t n = 0;
            t->gets = 0;
            assert_int_equal(
                tnd_merkle_prove_inclusion(mem_get, t, idx, size, p, TND_MERKLE_MAX_PROOF, &n), 0);
            assert_true(t->gets <= 2 * ceil_log2(size) + 1);
            assert_true(n <= ceil_log2(size));
            assert_int_equal(incl(idx, size, lh[idx], p, n, root), 0);
            /* Any single flipped bit, in the proof, the leaf or the root, fails. */
            for (size_t j = 0; j < n; j++) {
                unsigned bit = (unsigned)((idx * 31 + size * 7 + j) % 256);
                p[j][bit / 8] ^= (uint8_t)(1u << (bit % 8));
                assert_int_equal(incl(idx, size, lh[idx], p, n, root), TND_ECRYPTO);
                p[j][bit / 8] ^= (uint8_t)(1u << (bit % 8));
            }
            uint8_t leaf[32], r[32];
            memcpy(leaf, lh[idx], 32);
            leaf[idx % 32] ^= 0x80;
            assert_int_equal(incl(idx, size, leaf, p, n, root), TND_ECRYPTO);
            memcpy(r, root, 32);
            r[size % 32] ^= 0x01;
            assert_int_equal(incl(idx, size, lh[idx], p, n, r), TND_ECRYPTO);
            /* The proof of one leaf does not prove another. */
            if (idx + 1 < size)
                assert_int_not_equal(incl(idx + 1, size, lh[idx + 1], p, n, root), 0);
            /* A buffer one hash too small. */
            if (n > 0)
                assert_int_equal(tnd_merkle_prove_inclusion(mem_get, t, idx, size, p, n - 1, &n),
                                 TND_ERANGE);
        }
    }
    free(t);
    free(lh);
}

static void test_consistency_properties(void **state)
{
    (void)state;
    uint8_t(*lh)[32] = calloc(N_PROP, 32);
    uint8_t(*root)[32] = calloc(N_PROP + 1, 32);
    assert_non_null(lh);
    assert_non_null(root);
    mem_tree *t = prop_tree(lh);
    for (uint64_t size = 0; size <= N_PROP; size++) {
        t->limit = size;
        assert_int_equal(tnd_merkle_root(mem_get, t, size, root[size]), 0);
    }
    for (uint64_t s2 = 1; s2 <= N_PROP; s2++) {
        for (uint64_t s1 = 1; s1 <= s2; s1++) {
            uint8_t p[TND_MERKLE_MAX_PROOF][32];
            size_t n = 99;
            t->limit = s2;
            t->gets = 0;
            assert_int_equal(
                tnd_merkle_prove_consistency(mem_get, t, s1, s2, p, TND_MERKLE_MAX_PROOF, &n), 0);
            assert_true(t->gets <= 2 * ceil_log2(s2) + 2);
            assert_true(n <= ceil_log2(s2) + 1);
            if (s1 == s2)
                assert_int_equal(n, 0);
            assert_int_equal(cons(s1, s2, root[s1], root[s2], p, n), 0);
            for (size_t j = 0; j < n; j++) {
                unsigned bit = (unsigned)((s1 * 31 + s2 * 7 + j) % 256);
                p[j][bit / 8] ^= (uint8_t)(1u << (bit % 8));
                assert_int_equal(cons(s1, s2, root[s1], root[s2], p, n), TND_ECRYPTO);
                p[j][bit / 8] ^= (uint8_t)(1u << (bit % 8));
            }
            uint8_t r[32];
            memcpy(r, root[s1], 32);
            r[s2 % 32] ^= 0x04;
            assert_int_equal(cons(s1, s2, r, root[s2], p, n), TND_ECRYPTO);
            memcpy(r, root[s2], 32);
            r[s1 % 32] ^= 0x40;
            assert_int_equal(cons(s1, s2, root[s1], r, p, n), TND_ECRYPTO);
            if (s1 < s2) /* a fork: another root for the old size */
                assert_int_not_equal(cons(s1, s2, root[s1 - 1], root[s2], p, n), 0);
            if (n > 0)
                assert_int_equal(tnd_merkle_prove_consistency(mem_get, t, s1, s2, p, n - 1, &n),
                                 TND_ERANGE);
        }
    }
    free(t);
    free(root);
    free(lh);
}

/* ---- generation: arguments, callbacks, the largest sizes ---------------- */

static void test_generation_errors(void **state)
{
    (void)state;
    mem_tree *t = vector_tree();
    uint8_t p[TND_MERKLE_MAX_PROOF][32], h[32];
    size_t n;
    t->limit = 8;
    assert_int_equal(tnd_merkle_prove_inclusion(mem_get, t, 8, 8, p, 64, &n), TND_EINVAL);
    assert_int_equal(tnd_merkle_prove_inclusion(mem_get, t, 0, 0, p, 64, &n), TND_EINVAL);
    assert_int_equal(tnd_merkle_prove_inclusion(NULL, t, 0, 8, p, 64, &n), TND_EINVAL);
    assert_int_equal(tnd_merkle_prove_inclusion(mem_get, t, 0, 8, p, 64, NULL), TND_EINVAL);
    assert_int_equal(tnd_merkle_prove_inclusion(mem_get, t, 0, TND_MERKLE_MAX_SIZE + 1, p, 64, &n),
                     TND_ERANGE);
    assert_int_equal(tnd_merkle_prove_consistency(mem_get, t, 5, 4, p, 64, &n), TND_EINVAL);
    assert_int_equal(tnd_merkle_prove_consistency(mem_get, t, 0, 4, p, 64, &n), TND_EINVAL);
    assert_int_equal(tnd_merkle_prove_consistency(mem_get, t, 0, 0, p, 64, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(tnd_merkle_prove_consistency(mem_get, t, 3, 8, p, 3, &n), TND_ERANGE);
    assert_int_equal(tnd_merkle_subtree_hash(mem_get, t, 3, 3, h), TND_EINVAL);
    assert_int_equal(tnd_merkle_subtree_hash(mem_get, t, 4, 3, h), TND_EINVAL);
    assert_int_equal(tnd_merkle_subtree_hash(mem_get, t, 1, 3, h), TND_EINVAL);
    assert_int_equal(tnd_merkle_subtree_hash(mem_get, t, 2, 6, h), TND_EINVAL);
    assert_int_equal(tnd_merkle_subtree_hash(mem_get, t, 4, 7, h), 0);
    assert_int_equal(tnd_merkle_root(mem_get, t, TND_MERKLE_MAX_SIZE + 1, h), TND_ERANGE);
    assert_int_equal(tnd_merkle_append(mem_get, mem_put, t, TND_MERKLE_MAX_SIZE, h), TND_ERANGE);

    /* A failing read is passed through, whatever the operation. */
    t->fail_get = TND_EIO;
    assert_int_equal(tnd_merkle_root(mem_get, t, 8, h), TND_EIO);
    assert_int_equal(tnd_merkle_prove_inclusion(mem_get, t, 3, 7, p, 64, &n), TND_EIO);
    assert_int_equal(tnd_merkle_prove_consistency(mem_get, t, 3, 7, p, 64, &n), TND_EIO);
    assert_int_equal(tnd_merkle_append(mem_get, mem_put, t, 9, h), TND_EIO);
    t->fail_get = 1; /* not a TND_E* code */
    assert_int_equal(tnd_merkle_root(mem_get, t, 8, h), TND_EINVAL);
    free(t);
}

/* A tree of TND_MERKLE_MAX_SIZE identical leaves: every subtree at a level
 * has the same hash, so a get is a table lookup. Proofs at the largest sizes
 * keep within TND_MERKLE_MAX_PROOF hashes and O(log n) reads, and verify. */
typedef struct uniform_tree {
    uint8_t level[64][32];
    unsigned long gets;
} uniform_tree;

static int uniform_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
    uniform_tree *u = ctx;
    assert_true(level < 64);
    assert_true(index < (TND_MERKLE_MAX_SIZE >> level));
    u->gets++;
    memcpy(out, u->level[level], 32);
    return 0;
}

static void test_largest_sizes(void **state)
{
    (void)state;
    uniform_tree u;
    assert_int_equal(tnd_merkle_leaf_hash((const uint8_t *)"x", 1, u.level[0]), 0);
    for (unsigned l = 1; l < 64; l++)
        assert_int_equal(tnd_merkle_node_hash(u.level[l - 1], u.level[l - 1], u.level[l]), 0);

    const uint64_t M = TND_MERKLE_MAX_SIZE;
    const uint64_t sizes[] = {M, M - 1, M / 2 + 1, (M / 3) | 1, 12345678901234567ull};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        uint64_t size = sizes[i];
        uint8_t root[32], p[TND_MERKLE_MAX_PROOF][32];
        size_t n;
        assert_int_equal(tnd_merkle_root(uniform_get, &u, size, root), 0);
        const uint64_t idxs[] = {0, size - 1, size / 2, size / 3, size - 2};
        for (size_t j = 0; j < sizeof idxs / sizeof *idxs; j++) {
            u.gets = 0;
            assert_int_equal(tnd_merkle_prove_inclusion(uniform_get, &u, idxs[j], size, p, 64, &n),
                             0);
            assert_true(n <= 63);
            assert_true(u.gets <= 2 * 64);
            assert_int_equal(incl(idxs[j], size, u.level[0], p, n, root), 0);
            if (n > 0)
                assert_int_not_equal(incl(idxs[j], size, u.level[0], p, n - 1, root), 0);
        }
        const uint64_t olds[] = {1, 2, 3, size / 2 + 1, size - 1, size / 3 | 1};
        for (size_t j = 0; j < sizeof olds / sizeof *olds; j++) {
            uint8_t r1[32];
            assert_int_equal(tnd_merkle_root(uniform_get, &u, olds[j], r1), 0);
            u.gets = 0;
            assert_int_equal(
                tnd_merkle_prove_consistency(uniform_get, &u, olds[j], size, p, 64, &n), 0);
            assert_true(n <= TND_MERKLE_MAX_PROOF);
            assert_true(u.gets <= 2 * 64);
            assert_int_equal(cons(olds[j], size, r1, root, p, n), 0);
        }
    }
    /* The longest consistency proof: 2^63 - 1 leaves to 2^63 takes 64 hashes. */
    uint8_t r1[32], r2[32], p[TND_MERKLE_MAX_PROOF][32];
    size_t n;
    assert_int_equal(tnd_merkle_root(uniform_get, &u, M - 1, r1), 0);
    assert_int_equal(tnd_merkle_root(uniform_get, &u, M, r2), 0);
    assert_int_equal(tnd_merkle_prove_consistency(uniform_get, &u, M - 1, M, p, 64, &n), 0);
    assert_int_equal(n, 64);
    assert_int_equal(cons(M - 1, M, r1, r2, p, n), 0);
}

/* Random sizes up to 10,000 leaves: roots, inclusion and consistency proofs
 * against a naive recomputation from the definition. */
#define N_RANDOM 10000

static void test_randomized_against_naive(void **state)
{
    (void)state;
    uint8_t(*lh)[32] = calloc(N_RANDOM, 32);
    assert_non_null(lh);
    mem_tree *t = mem_new();
    for (uint64_t i = 0; i < N_RANDOM; i++) {
        prop_leaf(i, lh[i]);
        mem_append(t, lh[i]);
    }
    uint64_t seed = 0x9e3779b97f4a7c15u;
    for (int round = 0; round < 300; round++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        uint64_t size2 = 1 + (seed >> 33) % N_RANDOM;
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        uint64_t size1 = 1 + (seed >> 33) % size2;
        uint64_t idx = (seed >> 13) % size2;
        uint8_t root1[32], root2[32], want[32], p[TND_MERKLE_MAX_PROOF][32];
        size_t n = 0;
        t->limit = size2;
        assert_int_equal(tnd_merkle_root(mem_get, t, size2, root2), 0);
        naive_mth(lh, size2, want);
        assert_memory_equal(root2, want, 32);
        assert_int_equal(tnd_merkle_root(mem_get, t, size1, root1), 0);
        naive_mth(lh, size1, want);
        assert_memory_equal(root1, want, 32);
        assert_int_equal(
            tnd_merkle_prove_inclusion(mem_get, t, idx, size2, p, TND_MERKLE_MAX_PROOF, &n), 0);
        assert_int_equal(incl(idx, size2, lh[idx], p, n, root2), 0);
        assert_int_equal(
            tnd_merkle_prove_consistency(mem_get, t, size1, size2, p, TND_MERKLE_MAX_PROOF, &n), 0);
        assert_int_equal(cons(size1, size2, root1, root2, p, n), 0);
        if (n > 0) {
            p[0][round % 32] ^= 0x04;
            assert_int_not_equal(cons(size1, size2, root1, root2, p, n), 0);
        }
    }
    free(t);
    free(lh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hashes),
        cmocka_unit_test(test_randomized_against_naive),
        cmocka_unit_test(test_append_and_roots),
        cmocka_unit_test(test_vector_proofs),
        cmocka_unit_test(test_inclusion_negative),
        cmocka_unit_test(test_consistency_negative),
        cmocka_unit_test(test_roots_match_definition),
        cmocka_unit_test(test_inclusion_properties),
        cmocka_unit_test(test_consistency_properties),
        cmocka_unit_test(test_generation_errors),
        cmocka_unit_test(test_largest_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
