# Acaso Mail: build with the SDK, run on the ASP.NET runtime as a non-root user, state on a volume.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY hocon/ hocon/
COPY Acaso.Mail.Actors/Acaso.Mail.Actors.csproj Acaso.Mail.Actors/
RUN dotnet restore Acaso.Mail.Actors/Acaso.Mail.Actors.csproj
COPY Acaso.Mail.Actors/ Acaso.Mail.Actors/
# .git is not copied in: the commit comes as a build argument (docker compose build --build-arg COMMIT=$(git rev-parse HEAD)).
ARG COMMIT=unknown
RUN dotnet publish Acaso.Mail.Actors/Acaso.Mail.Actors.csproj -c Release --no-restore -o /app -p:SourceRevisionId=$COMMIT

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
ENV MAIL_STATE_DIR=/data
RUN mkdir -p /data && chown "$APP_UID" /data
VOLUME /data
# The image's built-in non-root user.
USER $APP_UID
# 5000: metrics, health, console and webhook; 4053: Akka.Remote, for the other nodes of a cluster; 8558: Cluster
# Bootstrap's contact point (with MAIL_CLUSTER_DISCOVERY).
EXPOSE 5000 4053 8558
ENTRYPOINT ["dotnet", "Acaso.Mail.Actors.dll"]
CMD ["run"]
