# The homelabcmd image: the release binaries FROM scratch (nothing to pull).
# Build it with ./scripts/image, which runs ./scripts/release when dist/ is
# missing and stages this file, the binaries and the CA certificates as the
# build context:
#   ./scripts/image                       # → homelabcmd:<version> and homelabcmd:latest
# Context layout (what scripts/image stages):
#   homelabcmd-linux-<arch>, homelabcmd-agent-linux-{amd64,arm64,armv7},
#   SHA256SUMS, ca-certificates.crt, etc/passwd, etc/group
FROM scratch
ARG ARCH=amd64
ARG VERSION=dev
LABEL org.opencontainers.image.title="homelabcmd" \
      org.opencontainers.image.description="Self-hosted homelab monitoring hub and agent" \
      org.opencontainers.image.source="https://github.com/homelabcmd/homelabcmd" \
      org.opencontainers.image.version="${VERSION}"
COPY etc/passwd etc/group /etc/
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY homelabcmd-linux-${ARCH} /usr/local/bin/homelabcmd
# The slim agent for this image's own architecture: the agent container
# (compose.yaml's "agent" service) runs it, not the hub binary's heavier
# built-in agent.
COPY homelabcmd-agent-linux-${ARCH} /usr/local/bin/homelabcmd-agent
# Every architecture's slim agent, served to agents by "Add server".
COPY homelabcmd-agent-linux-amd64 homelabcmd-agent-linux-arm64 homelabcmd-agent-linux-armv7 SHA256SUMS /usr/local/share/homelabcmd/agents/
# /data belongs to the non-root user; a new named volume inherits that.
COPY --chown=65532:65532 data /data
ENV HOMELAB_CMD_DATABASE_URL=sqlite:////data/homelab.db \
    HOMELAB_CMD_AGENTS_DIR=/usr/local/share/homelabcmd/agents \
    HOMELAB_CMD_LOCAL_AGENT=false \
    HOMELAB_CMD_PORT=8080 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
WORKDIR /data
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=6s --start-period=20s --retries=3 CMD ["/usr/local/bin/homelabcmd", "health"]
ENTRYPOINT ["/usr/local/bin/homelabcmd"]
CMD ["serve"]
