using Search.Host.Cli;

return await SearchHostCli.InvokeAsync(args);
