# The console image the Helm chart runs: `periscope serve`, the web UI built in, non-root (65532).
#   docker build -t periscope .
# The UI is built in a Node stage and shipped inside the Python package (periscope_entrypoints/http/static),
# where the server looks for it when there is no ui/dist beside the code.

FROM node:20-bookworm-slim AS ui
WORKDIR /src/ui
COPY ui/package.json ui/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY ui/ ./
RUN npm run build

FROM python:3.11-slim-bookworm AS wheels
WORKDIR /src
COPY pyproject.toml README.md ./
COPY periscope_core periscope_core
COPY adapters adapters
COPY entrypoints entrypoints
COPY --from=ui /src/ui/dist entrypoints/http/static
RUN pip wheel --no-cache-dir --wheel-dir /wheels ".[kube,server,aws,oidc,audit,vault]"

FROM python:3.11-slim-bookworm
RUN groupadd --gid 65532 periscope && useradd --uid 65532 --gid 65532 --no-create-home periscope
COPY --from=wheels /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels "periscope[kube,server,aws,oidc,audit,vault]" \
    && rm -rf /wheels
USER 65532:65532
ENV PERISCOPE_HOST=0.0.0.0 PERISCOPE_DATA_DIR=/var/lib/periscope
EXPOSE 8080
ENTRYPOINT ["periscope"]
CMD ["serve"]
