using Rerank.Training.Cli;

return await TrainCommand.Create().Parse(args).InvokeAsync();
