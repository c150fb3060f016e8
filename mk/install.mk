# Installing: the shared libtender, the man pages, and `make install` / `make uninstall`.
# Included from the Makefile. GNU conventions: every directory can be overridden, DESTDIR
# is prepended to each at install time only (nothing built depends on it):
#
#   make install PREFIX=/usr DESTDIR=/tmp/stage
#   make install BINDIR=/opt/tender/bin SYSTEMDUNITDIR=/etc/systemd/system
#
# PREFIX=/usr puts the configuration under /etc (as Debian does), any other PREFIX under
# PREFIX/etc. The service's state is always /var/lib/tenderd (systemd's StateDirectory).

TENDER_VERSION := 0.1.0
SOMAJOR        := 0

PREFIX         ?= /usr/local
EXEC_PREFIX    ?= $(PREFIX)
BINDIR         ?= $(EXEC_PREFIX)/bin
LIBDIR         ?= $(EXEC_PREFIX)/lib
INCLUDEDIR     ?= $(PREFIX)/include
DATAROOTDIR    ?= $(PREFIX)/share
MANDIR         ?= $(DATAROOTDIR)/man
DOCDIR         ?= $(DATAROOTDIR)/doc/tenderd
PKGCONFIGDIR   ?= $(LIBDIR)/pkgconfig
BASHCOMPDIR    ?= $(DATAROOTDIR)/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR     ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
STATEDIR       ?= /var/lib/tenderd

INSTALL      ?= install
INSTALL_DATA ?= $(INSTALL) -m 0644

SONAME      := libtender.so.$(SOMAJOR)
LIBSHARED   := $(BUILD)/lib/libtender.so.$(TENDER_VERSION)
EXPORTS     := $(BUILD)/lib/libtender.map
PUBLIC_H    := $(wildcard include/tender/*.h)
MAN_SRC     := $(wildcard docs/man/*.scd)
# tenderctl(1) and its bash completion are written at build time from tenderctl's command
# table (client/ctl/cli/cmd.h); the man page's prose is docs/man/tenderctl.1.scd.in.
MANPAGES    := $(patsubst docs/man/%.scd,$(BUILD)/man/%,$(MAN_SRC)) $(BUILD)/man/tenderctl.1
CTL_COMP    := $(BUILD)/contrib/bash-completion/tenderctl
UNIT        := $(BUILD)/contrib/tenderd.service
PCFILE      := $(BUILD)/contrib/tender.pc
CONFEXAMPLE := $(BUILD)/contrib/tenderd.conf.example

# The shared library's objects: the same sources as libtender.a, position-independent.
pic = $(patsubst %.c,$(BUILD)/pic/%.o,$(1))
LIBTENDER_PIC := $(call pic,$(CLIENT_SRC) $(COMMON_SRC)) $(BUILD)/pic/gen/tender_schema.o
LIBTENDER_PKGS := libuv msgpack libssl libcrypto libsodium

.PHONY: shared man install uninstall
all: $(LIBSHARED) $(MANPAGES) $(CTL_COMP) $(UNIT) $(PCFILE) $(CONFEXAMPLE)
shared: $(LIBSHARED)
man: $(MANPAGES)

$(BUILD)/pic/%.o: %.c | $(GEN_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fPIC -c -o $@ $<

$(BUILD)/pic/gen/%.o: $(BUILD)/gen/%.c $(GEN_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fPIC -c -o $@ $<

# Export exactly the functions and descriptors the public headers declare (the tnd_ API
# and the generated tender_* descriptors the typed stubs use); internal tnd__ and module
# functions stay local.
$(EXPORTS): $(LIBTENDER_PIC) $(PUBLIC_H) $(GEN_H) tools/exports.sh
	@mkdir -p $(@D)
	tools/exports.sh "$(CC)" $(LIBTENDER_PIC) -- $(PUBLIC_H) $(GEN_H) >$@.tmp && mv $@.tmp $@

$(LIBSHARED): $(LIBTENDER_PIC) $(EXPORTS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=$(EXPORTS) \
	    -Wl,--no-undefined -o $@ $(LIBTENDER_PIC) \
	    $$(pkg-config --libs $(LIBTENDER_PKGS)) -lpthread
	ln -sf $(notdir $@) $(BUILD)/lib/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/lib/libtender.so

$(BUILD)/man/%: docs/man/%.scd
	@mkdir -p $(@D)
	scdoc <$< >$@.tmp && mv $@.tmp $@

$(BUILD)/man/tenderctl.1.scd: docs/man/tenderctl.1.scd.in $(TENDERCTL)
	@mkdir -p $(@D)
	$(TENDERCTL) gen-man $< >$@.tmp && mv $@.tmp $@

$(BUILD)/man/tenderctl.1: $(BUILD)/man/tenderctl.1.scd
	scdoc <$< >$@.tmp && mv $@.tmp $@

$(CTL_COMP): $(TENDERCTL)
	@mkdir -p $(@D)
	$(TENDERCTL) completion bash >$@.tmp && mv $@.tmp $@

# A configuration for the service to start from: every setting with its meaning and default
# (tenderd --print-config), the paths set for the installed layout.
$(CONFEXAMPLE): $(TENDERD) FORCE
	@mkdir -p $(@D)
	@$(TENDERD) --db $(STATEDIR)/db --cert $(SYSCONFDIR)/tenderd/server.crt \
	    --key $(SYSCONFDIR)/tenderd/server.key --ca $(SYSCONFDIR)/tenderd/ca.crt \
	    --print-config >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; echo "  GEN $@"; fi

# Files that name installed paths are made from templates at build time.
# In tender.pc, paths under PREFIX are written as ${prefix}/... (pkg-config --define-prefix).
PC_LIBDIR     = $(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))
PC_INCLUDEDIR = $(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))
SUBST = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
            -e 's|@PC_LIBDIR@|$(PC_LIBDIR)|g' -e 's|@PC_INCLUDEDIR@|$(PC_INCLUDEDIR)|g' \
            -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@PREFIX@|$(PREFIX)|g' \
            -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@STATEDIR@|$(STATEDIR)|g' \
            -e 's|@VERSION@|$(TENDER_VERSION)|g' -e 's|@REQUIRES@|$(LIBTENDER_PKGS)|g'

$(BUILD)/contrib/%: contrib/%.in FORCE
	@mkdir -p $(@D)
	@$(SUBST) $< >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; echo "  GEN $@"; fi

.PHONY: FORCE
FORCE:

install: all
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	    $(DESTDIR)$(INCLUDEDIR)/tender $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 0755 $(TENDERD) $(TENDERCTL) $(TENDERWITNESS) $(DESTDIR)$(BINDIR)/
	$(INSTALL_DATA) $(LIBTENDER) $(DESTDIR)$(LIBDIR)/
	$(INSTALL) -m 0755 $(LIBSHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(LIBSHARED)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libtender.so
	$(INSTALL_DATA) $(PUBLIC_H) $(GEN_H) $(DESTDIR)$(INCLUDEDIR)/tender/
	$(INSTALL_DATA) $(PCFILE) $(DESTDIR)$(PKGCONFIGDIR)/tender.pc
	$(INSTALL_DATA) $(filter %.1,$(MANPAGES)) $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL_DATA) $(filter %.8,$(MANPAGES)) $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL_DATA) $(CTL_COMP) $(DESTDIR)$(BASHCOMPDIR)/tenderctl
	$(INSTALL_DATA) contrib/bash-completion/tenderd $(DESTDIR)$(BASHCOMPDIR)/tenderd
	$(INSTALL_DATA) contrib/bash-completion/tenderwitness $(DESTDIR)$(BASHCOMPDIR)/tenderwitness
	$(INSTALL_DATA) $(UNIT) $(DESTDIR)$(SYSTEMDUNITDIR)/tenderd.service
	$(INSTALL_DATA) $(CONFEXAMPLE) $(DESTDIR)$(DOCDIR)/tenderd.conf.example
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig || true; fi

# Removes exactly what install wrote; folders are left (they may be shared), but the
# empty include/tender/ and doc/tenderd/ are removed.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tenderd $(DESTDIR)$(BINDIR)/tenderctl $(DESTDIR)$(BINDIR)/tenderwitness
	rm -f $(DESTDIR)$(LIBDIR)/libtender.a $(DESTDIR)$(LIBDIR)/$(notdir $(LIBSHARED)) \
	    $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libtender.so
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/tender/,$(notdir $(PUBLIC_H) $(GEN_H)))
	rmdir $(DESTDIR)$(INCLUDEDIR)/tender 2>/dev/null || true
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/tender.pc
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(filter %.1,$(MANPAGES))))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(filter %.8,$(MANPAGES))))
	rm -f $(DESTDIR)$(BASHCOMPDIR)/tenderctl $(DESTDIR)$(BASHCOMPDIR)/tenderd \
	    $(DESTDIR)$(BASHCOMPDIR)/tenderwitness
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/tenderd.service
	rm -f $(DESTDIR)$(DOCDIR)/tenderd.conf.example
	rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig || true; fi
